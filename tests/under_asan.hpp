// Test helper: CNNGEN_UNDER_ASAN is defined when the test is built with AddressSanitizer (gcc's
// __SANITIZE_ADDRESS__, clang's __has_feature), whose quarantine and address-space reservations
// change what a memory measurement can check.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define CNNGEN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CNNGEN_UNDER_ASAN 1
#endif
#endif
