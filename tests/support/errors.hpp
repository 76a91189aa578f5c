// Checking errors in tests: the message of the qdse::Error a call throws, and a
// substring expectation that prints the whole message when it fails.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "qdse/core/error.hpp"

namespace qdse::testing {

// The message of the qdse::Error that `fn` throws; "" when it throws none (any other
// exception propagates and fails the test).
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const qdse::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace qdse::testing

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
