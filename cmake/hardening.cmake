# Sanitizer and fuzzing builds. Included from the top-level CMakeLists.txt before any target is
# defined, so the flags reach every target: roomtemp_core, the executables and the tests.
#
#   -DROOMTEMP_SANITIZE=ON  ASan + UBSan for the whole build (gcc or clang); scripts/sanitize.
#   -DROOMTEMP_FUZZ=ON      libFuzzer harnesses in fuzz/ (clang only); scripts/fuzz.

option(ROOMTEMP_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(ROOMTEMP_FUZZ "Build the libFuzzer harnesses in fuzz/ (needs clang)" OFF)

# Undefined behaviour must stop the program: a report that scrolls past in a passing test run,
# or a fuzzer that keeps going after one, would hide it.
set(_roomtemp_ub_flags -fno-sanitize-recover=undefined)

if(ROOMTEMP_SANITIZE)
  set(_roomtemp_sanitize -fsanitize=address,undefined -fno-omit-frame-pointer ${_roomtemp_ub_flags})
  add_compile_options(${_roomtemp_sanitize})
  add_link_options(${_roomtemp_sanitize})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's instrumentation makes -Wmaybe-uninitialized fire on libstdc++ internals (<regex>,
    # std::function): dozens of false positives that would bury real warnings.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

if(ROOMTEMP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR
      "ROOMTEMP_FUZZ=ON needs clang (libFuzzer ships with it), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a fresh build directory with\n"
      "  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DROOMTEMP_FUZZ=ON\n"
      "(Debian: apt-get install clang libclang-rt-dev), or run scripts/fuzz, which does both.")
  endif()
  # Every object gets coverage instrumentation and the sanitizers; only the harnesses link the
  # libFuzzer driver (-fsanitize=fuzzer, in fuzz/CMakeLists.txt), so roomtempd still links.
  set(_roomtemp_fuzz -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                     ${_roomtemp_ub_flags})
  add_compile_options(${_roomtemp_fuzz})
  add_link_options(-fsanitize=address,undefined)
endif()
