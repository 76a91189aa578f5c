#!/usr/bin/env bash
# The layer rule (docs/architecture.md): a folder of src/ (and its headers in include/qdse/)
# may include only its own headers and those of the layers below it. Prints every upward
# include as FILE:LINE and exits 1 if there is one. The same table is what
# src/CMakeLists.txt links, so an upward call also has nothing to link against.
#   bash scripts/check-layers.sh [ROOT]     (ROOT: a tree with src/ and include/qdse/; default: this repo)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"

declare -A below=(
  [core]=""
  [search]="core"
  [storage]="core search"
  [hw]="core"
  [ir]="core"
  [data]="core"
  [quant]="core ir"
  [exec]="core ir quant"
  [lower]="core ir quant exec"
  [io]="core ir quant exec lower"
  [metrics]="core ir quant exec lower"
  [train]="core ir quant exec lower data"
  [pipeline]="core ir data quant exec lower io metrics search storage hw"
  [report]="core ir data quant exec lower io metrics search storage hw pipeline"
  [cli]="core ir data quant exec lower io metrics train search storage hw pipeline report"
)

bad=0
checked=0
for layer in "${!below[@]}"; do
  allowed=" $layer ${below[$layer]} "
  for dir in "$root/src/$layer" "$root/include/qdse/$layer"; do
    [ -d "$dir" ] || continue
    while IFS= read -r hit; do
      [ -n "$hit" ] || continue
      file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}
      target=$(sed -E 's/.*#include "qdse\/([a-z_]+)\/.*/\1/' <<<"$rest")
      if [[ "$allowed" != *" $target "* ]]; then
        echo "${file#$root/}:$line: layer '$layer' includes 'qdse/$target/' (allowed: ${below[$layer]:-nothing below})"
        bad=1
      fi
    done < <(grep -rnE '#include "qdse/[a-z_]+/' "$dir" --include='*.hpp' --include='*.cpp' --include='*.h' || true)
    checked=$((checked + 1))
  done
done
# A folder of src/ that the table does not know is an error too: every folder has a layer.
for dir in "$root"/src/*/; do
  name=$(basename "$dir")
  if [ -z "${below[$name]+x}" ]; then
    echo "src/$name: folder has no layer in scripts/check-layers.sh"
    bad=1
  fi
done
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "check-layers: $checked folders follow the layer rule"
