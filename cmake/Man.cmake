# Man pages: man/NAME.N.scd, written in scdoc, become NAME.N in build/man/
# (part of ALL) and are installed to ${CMAKE_INSTALL_MANDIR}/manN. Without
# scdoc the pages are skipped, with a message: the build goes on.
include(GNUInstallDirs)

find_program(SCDOC scdoc)
if(NOT SCDOC)
  message(STATUS "scdoc not found: man pages not built "
                 "(apt-get install scdoc, or scripts/setup)")
  return()
endif()

file(GLOB LK_MAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
set(LK_MAN_DIR ${CMAKE_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${LK_MAN_DIR})
set(LK_MAN_PAGES)
foreach(src ${LK_MAN_SOURCES})
  get_filename_component(page ${src} NAME_WLE)          # lockstep-run.1
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
  set(out ${LK_MAN_DIR}/${page})
  # scdoc reads stdin and writes stdout; a page it rejects is not left
  # behind half written.
  add_custom_command(
    OUTPUT ${out}
    COMMAND sh -c "\"$0\" < \"$1\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\""
            ${SCDOC} ${src} ${out}
    DEPENDS ${src}
    COMMENT "Generating man page ${page}"
    VERBATIM)
  list(APPEND LK_MAN_PAGES ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# replay is documented in lockstep-run(1): `man lockstep-replay` finds it.
file(WRITE ${LK_MAN_DIR}/lockstep-replay.1 ".so man1/lockstep-run.1\n")
install(FILES ${LK_MAN_DIR}/lockstep-replay.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

add_custom_target(man ALL DEPENDS ${LK_MAN_PAGES})

# The pages stay true: each renders without warnings, documents every
# option `lockstep help CMD` prints and every element of the schema.
find_program(PYTHON3 python3)
if(PYTHON3)
  add_test(NAME man
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/man/check-man.py
            --lockstep $<TARGET_FILE:lockstep>
            --source ${CMAKE_SOURCE_DIR}/man
            --pages ${LK_MAN_DIR}
            --xsd ${CMAKE_SOURCE_DIR}/scenarios/lockstep.xsd)
  set_tests_properties(man PROPERTIES TIMEOUT 120)
endif()
