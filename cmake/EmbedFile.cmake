# lk_embed_file(INPUT OUTPUT SYMBOL): compile a text file into a C array
# SYMBOL (NUL-terminated) and SYMBOL_len, so the binary needs no data files.
function(lk_embed_file input output symbol)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output}
            -DSYMBOL=${symbol} -P ${CMAKE_SOURCE_DIR}/cmake/EmbedRun.cmake
    DEPENDS ${input} ${CMAKE_SOURCE_DIR}/cmake/EmbedRun.cmake
    COMMENT "Embedding ${input}")
endfunction()
