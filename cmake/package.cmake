# Installation and the Debian package: pgload, pgmove and pgcluster (with its catalog SQL), a man page and a bash
# completion per tool generated at build time from its --help (so they never drift), README, CHANGELOG and the guides.
# `cmake --install build` and `cd build && cpack -G DEB` install the same set; the version is project(... VERSION).
include(GNUInstallDirs)

find_package(Python3 REQUIRED COMPONENTS Interpreter)

# ---- man pages and bash completions, from each tool's --help -------------------------------------------------------
# pgcluster is installed as a configured copy: its version and where catalog.sql lies relative to bin/ written in.
file(RELATIVE_PATH PGCLUSTER_CATALOG_FROM_BINDIR
     ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/pgload/catalog.sql)
set(PGCLUSTER_INSTALLED ${CMAKE_BINARY_DIR}/install/pgcluster)
configure_file(${CMAKE_SOURCE_DIR}/cluster/pgcluster ${PGCLUSTER_INSTALLED} @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(HELP_FILES_DIR ${CMAKE_BINARY_DIR}/help-files)
set(GEN_HELP_FILES ${CMAKE_SOURCE_DIR}/scripts/gen-help-files)
set(HELP_FILES)
# help_files(NAME SUMMARY COMMAND DEPENDS...): NAME.1.gz and the completion file NAME, from `COMMAND --help`.
function(help_files name summary command)
  add_custom_command(
    OUTPUT ${HELP_FILES_DIR}/${name}.1.gz ${HELP_FILES_DIR}/completions/${name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HELP_FILES_DIR}/completions
    COMMAND ${Python3_EXECUTABLE} ${GEN_HELP_FILES} --name ${name} --summary ${summary} --version ${PROJECT_VERSION}
            --man ${HELP_FILES_DIR}/${name}.1.gz --completion ${HELP_FILES_DIR}/completions/${name} -- ${command}
    DEPENDS ${GEN_HELP_FILES} ${ARGN}
    COMMENT "Generating the man page and bash completion of ${name} from its --help"
    VERBATIM)
  set(HELP_FILES ${HELP_FILES} ${HELP_FILES_DIR}/${name}.1.gz ${HELP_FILES_DIR}/completions/${name} PARENT_SCOPE)
endfunction()
help_files(pgload "bulk-load CSV, NDJSON or COPY text straight into the shards of a Citus table"
           $<TARGET_FILE:pgload> pgload)
help_files(pgmove "move and rebalance the shards of a Citus cluster" $<TARGET_FILE:pgmove> pgmove)
help_files(pgcluster "a local Citus-shaped cluster on plain PostgreSQL 15" ${PGCLUSTER_INSTALLED}
           ${PGCLUSTER_INSTALLED})
add_custom_target(help_files ALL DEPENDS ${HELP_FILES})

# ---- what is installed ---------------------------------------------------------------------------------------------
install(TARGETS pgload pgmove RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${PGCLUSTER_INSTALLED} DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/cluster/catalog.sql DESTINATION ${CMAKE_INSTALL_DATADIR}/pgload)
install(FILES ${HELP_FILES_DIR}/pgload.1.gz ${HELP_FILES_DIR}/pgmove.1.gz ${HELP_FILES_DIR}/pgcluster.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(DIRECTORY ${HELP_FILES_DIR}/completions/ DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# ---- the Debian package: cd build && cpack -G DEB -> pgload_<version>_<arch>.deb -------------------------------------
set(CPACK_PACKAGE_NAME pgload)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "pgload")
set(CPACK_PACKAGE_CONTACT "pgload maintainers <dev@pgload.local>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bulk loading and shard moving for Citus (distributed PostgreSQL)")
set(CPACK_PACKAGE_DESCRIPTION
    "pgload streams CSV, NDJSON or COPY text files into the shards of a Citus table, every shard committed together.
pgmove plans and runs shard rebalances, node additions and drains. pgcluster starts a local Citus-shaped cluster on
plain PostgreSQL 15.")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)  # the build carries debug info; the package does not
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pgload_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION database)
# Library dependencies (libpq5, libcurl4, libtbb12, liburing2, libstdc++6, ...) are read from the binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# pgcluster runs PostgreSQL 15's own initdb, pg_ctl and psql from /usr/lib/postgresql/15/bin (and postgres_fdw and
# dblink, which that package ships); no binary links against them, so dpkg-shlibdeps cannot find this one.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "postgresql-15")
include(CPack)
