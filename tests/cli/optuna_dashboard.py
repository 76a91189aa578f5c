#!/usr/bin/python3
"""optuna-dashboard's side of tests/cli/optuna_dashboard_test.cpp.

  optuna_dashboard.py JOURNAL STUDY WORK_DIR OUT.json
      Starts `optuna-dashboard JOURNAL` (beside this interpreter: the .venv of
      scripts/optuna-venv.sh) on 127.0.0.1 at a free port, waits until it answers, and
      writes to OUT.json what it serves:
        studies       GET /api/studies
        study         GET /api/studies/<id> of the study named STUDY
        dom_text      the text of its trials page (/dashboard/studies/<id>/trials) as a
                      headless Chromium renders it (--dump-dom), tags stripped; in a
                      window tall enough for 100 trials, since the list renders only
                      the trials in view
        screenshot    width, height, distinct colours and share of dark pixels of a
                      Chromium screenshot of that page
                      (WORK_DIR/trials.png, kept for a human to look at)
      WORK_DIR/dashboard.pid holds the dashboard's process id (the test checks that it
      is gone afterwards, also after an error). The dashboard is stopped on every path out (error, SIGTERM from `timeout`), and
      dies with this process if it is killed outright (PR_SET_PDEATHSIG).
      Errors: one line on stderr, exit 1.

Needs optuna-dashboard (PyPI), chromium and PIL (Debian's python3-pil).
"""
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 900)
TALL_WINDOW_TRIALS = 100
START_TIMEOUT_S = 60


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """Runs in the dashboard's child before exec: SIGKILL it when this helper dies."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.load(r)


def start_dashboard(journal, work, log):
    """(process, base URL) of a dashboard that answers /api/studies; a port another
    process took between free_port() and the bind is retried with a new one."""
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "optuna-dashboard"), journal, "--host", "127.0.0.1",
                                 "--port", str(port), "--quiet"],
                                stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        with open(os.path.join(work, "dashboard.pid"), "w") as f:
            f.write(f"{proc.pid}\n")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                get_json(base, "/api/studies")
                return proc, base
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        if proc.poll() is None:
            stop(proc)
            raise RuntimeError(f"optuna-dashboard did not answer on {base} within {START_TIMEOUT_S} s")
        # It exited: the port was taken, or the journal is unreadable (then every try fails).
    raise RuntimeError(f"optuna-dashboard exited with status {proc.returncode} (see {log.name})")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chromium(work, args, url):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           "--user-data-dir=" + os.path.join(work, "chromium-profile"), "--virtual-time-budget=10000"] + args + [url]
    r = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"chromium exited with status {r.returncode}: {' '.join(cmd)}")
    return r.stdout.decode("utf-8", "replace")


def dom_text(html):
    html = re.sub(r"<(style|script)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def screenshot_stats(path):
    """Size, number of colours and `ink`: the share of dark pixels (every channel below
    100: text and icons). A blank page or the dashboard's loading screen has no ink."""
    from PIL import Image  # Debian's python3-pil, visible through --system-site-packages

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 24)
        ink = sum(n for n, c in colours if max(c) < 100)
        return {"width": rgb.width, "height": rgb.height, "colours": len(colours),
                "ink": ink / (rgb.width * rgb.height)}


def main(journal, study_name, work, out):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("optuna_dashboard.py: terminated"))
    with open(os.path.join(work, "dashboard.log"), "w") as log:
        proc, base = start_dashboard(journal, work, log)
        try:
            studies = get_json(base, "/api/studies")
            ids = [s["study_id"] for s in studies["study_summaries"] if s["study_name"] == study_name]
            if len(ids) != 1:
                raise RuntimeError(f"optuna-dashboard lists no study `{study_name}`: {json.dumps(studies)}")
            study = get_json(base, f"/api/studies/{ids[0]}")
            page = f"{base}/dashboard/studies/{ids[0]}/trials"
            # The trial list renders only the entries in view (~73 px each): a window
            # tall enough for TALL_WINDOW_TRIALS of them puts every trial in the DOM.
            text = dom_text(chromium(work, ["--dump-dom", f"--window-size={WINDOW[0]},{120 + 80 * TALL_WINDOW_TRIALS}"],
                                     page))
            png = os.path.join(work, "trials.png")
            chromium(work, ["--screenshot=" + png, f"--window-size={WINDOW[0]},{WINDOW[1]}"], page)
            shot = screenshot_stats(png)
        finally:
            stop(proc)
    with open(out, "w") as f:
        json.dump({"studies": studies, "study": study, "dom_text": text, "screenshot": shot}, f)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except Exception as e:  # one line for the test's failure message
        sys.exit(f"optuna_dashboard.py: {type(e).__name__}: {e}")
