# Runs a program and writes what it prints to a file (what the build uses to generate the
# manual and the completion scripts from the built binary's own command definitions).
# Usage: cmake -DOUTPUT=file -DPROGRAM=path -DARGS=a,b -P write_output.cmake
string(REPLACE "," ";" ARGS "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${ARGS} OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${ARGS} failed: ${status}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
