# Schema evolution checks, run by CTest with `cmake -P`:
#   -DFLATC=<flatc> -DSCHEMA_DIR=<schemas/> -DNAMES=<a;b> -DWORK_DIR=<scratch> -DMODE=conform|negative
#
# conform:  `flatc --conform frozen/X.fbs X.fbs` succeeds for every schema X in NAMES.
# negative: proves --conform has teeth. Mutated copies of envelope.fbs with incompatible changes
#           (a field retyped, two field ids swapped, a union member removed) must be rejected,
#           while a compatible change (a new table appended to the union) must be accepted.

foreach(var FLATC SCHEMA_DIR NAMES WORK_DIR MODE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "schema_conform.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_conform frozen live out_result out_output)
  execute_process(COMMAND ${FLATC} --conform ${frozen} ${live}
                  WORKING_DIRECTORY ${WORK_DIR}
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  set(${out_result} ${result} PARENT_SCOPE)
  set(${out_output} "${output}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY ${WORK_DIR})

if(MODE STREQUAL "conform")
  foreach(name IN LISTS NAMES)
    run_conform(${SCHEMA_DIR}/frozen/${name}.fbs ${SCHEMA_DIR}/${name}.fbs result output)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${name}.fbs does not conform to frozen/${name}.fbs:\n${output}")
    endif()
    message(STATUS "${name}.fbs conforms to frozen/${name}.fbs")
  endforeach()
  return()
endif()

# MODE negative: mutate envelope.fbs. Each mutation must actually change the text.
file(READ ${SCHEMA_DIR}/envelope.fbs live)
set(frozen ${SCHEMA_DIR}/frozen/envelope.fbs)

function(expect_conform case_name mutated want_ok)
  set(path ${WORK_DIR}/envelope-${case_name}.fbs)
  file(WRITE ${path} "${mutated}")
  run_conform(${frozen} ${path} result output)
  if(want_ok AND NOT result EQUAL 0)
    message(FATAL_ERROR "${case_name}: a compatible change was rejected:\n${output}")
  elseif(NOT want_ok AND result EQUAL 0)
    message(FATAL_ERROR "${case_name}: flatc --conform accepted an incompatible change")
  elseif(NOT want_ok AND NOT output MATCHES "schemas don.t conform")
    message(FATAL_ERROR "${case_name}: flatc failed for another reason:\n${output}")
  endif()
  message(STATUS "${case_name}: ok")
endfunction()

function(mutate case_name regex replacement want_ok)
  string(REGEX REPLACE "${regex}" "${replacement}" mutated "${live}")
  if(mutated STREQUAL live)
    message(FATAL_ERROR "${case_name}: pattern '${regex}' not found in envelope.fbs")
  endif()
  expect_conform(${case_name} "${mutated}" ${want_ok})
endfunction()

# Envelope.actor retyped string -> int.
mutate(retyped "actor:string \\(id: 6\\)" "actor:int (id: 6)" FALSE)
# Envelope.command_id and correlation_id swap ids 3 and 4 (same type: only the ids differ).
mutate(renumbered
       "command_id:string \\(id: 3\\);([^\n]*)\n([ ]*)correlation_id:string \\(id: 4\\);"
       "command_id:string (id: 4);\\1\n\\2correlation_id:string (id: 3);" FALSE)
# The first union member removed: every later member's wire value shifts.
mutate(union_member_removed "(union Payload {[^}]*\n)[ ]*UserCreated,\n" "\\1" FALSE)
# Compatible: a new table appended at the end of the union.
mutate(union_member_appended "(union Payload {[^}]*)}"
       "\\1  ConformProbe,\n}\ntable ConformProbe { x:int (id: 0); }\n" TRUE)
