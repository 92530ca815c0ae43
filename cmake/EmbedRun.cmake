# Script mode half of lk_embed_file: writes OUTPUT from INPUT as hex bytes.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUTPUT} "#include <stddef.h>\n"
  "const char ${SYMBOL}[] = {${body} 0x00};\n"
  "const size_t ${SYMBOL}_len = ${bytes};\n")
