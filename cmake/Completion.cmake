# Shell completions, written by hand in completions/ (nothing is generated
# at build time) and installed where bash-completion and Debian's zsh look
# for them. The tests hold them to `lockstep help CMD`.
include(GNUInstallDirs)

install(FILES ${CMAKE_SOURCE_DIR}/completions/lockstep.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME lockstep)
install(FILES ${CMAKE_SOURCE_DIR}/completions/_lockstep
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

find_program(PYTHON3 python3)
if(PYTHON3)
  foreach(shell bash zsh)
    add_test(NAME completion-${shell}
      COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/completion/check-completion.py
              --shell ${shell} --lockstep $<TARGET_FILE:lockstep>
              --completions ${CMAKE_SOURCE_DIR}/completions)
    # 77: the shell is not installed (zsh is optional; scripts/setup has it).
    set_tests_properties(completion-${shell} PROPERTIES
      TIMEOUT 300 SKIP_RETURN_CODE 77)
  endforeach()
endif()
