# libFuzzer targets for the tokenizer (clang and -DRMLX_FUZZ=ON only):
#   fuzz_tokenizer_load    arbitrary bytes as tokenizer.json
#   fuzz_tokenizer_encode  arbitrary bytes as text (RMLX_FUZZ_TOKENIZER=path picks the tokenizer)
# Include from the top-level CMakeLists.txt: include(tests/fuzz/tokenizer.cmake)
if(RMLX_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(rmlx_tokenizer PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  foreach(name tokenizer_load tokenizer_encode)
    add_executable(fuzz_${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.cpp)
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE rmlx_tokenizer)
  endforeach()
endif()
