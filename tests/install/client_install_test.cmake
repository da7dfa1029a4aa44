# Installs the client library into a fresh prefix and builds the example
# programs against it as an outside project, so the installed headers,
# libraries and CMake package are complete. Run by CTest:
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... [-DLINK_FLAGS=...] -P client_install_test.cmake
# LINK_FLAGS go to the outside project's link (the sanitizer runtimes when
# the libraries were built with KOPF_SANITIZE).
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${out}")
  endif()
endfunction()

# Only the client's own install rules: nothing else of kopf is installed.
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(file include/kopf/protocol/async_client.h include/kopf/protocol/client.h
             lib/libkopf_client.a lib/cmake/kopf-client/kopf-client-config.cmake)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
if(EXISTS ${prefix}/include/kopf/protocol/client_internal.h)
  message(FATAL_ERROR "the install holds the internal header client_internal.h")
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tools/examples -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --target kopf-example-sync)
if(NOT EXISTS ${WORK_DIR}/build/kopf-example-sync)
  message(FATAL_ERROR "the outside project built no kopf-example-sync")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
