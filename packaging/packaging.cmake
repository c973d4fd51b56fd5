# Installation layout and packages (.deb, and .rpm where rpmbuild exists). Included from the
# top-level CMakeLists.txt after every target is defined. `cpack -G DEB` in the build
# directory makes the package; scripts/test-package builds it and installs it on a clean
# Debian system.
#
# Packages follow the distribution's layout: configure them with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/test-package does), which also puts the configuration in /etc, not /usr/etc.
include(GNUInstallDirs)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "Packages are laid out for ${CMAKE_INSTALL_PREFIX}; distribution packages "
                 "need -DCMAKE_INSTALL_PREFIX=/usr")
endif()
set(_etc ${CMAKE_INSTALL_FULL_SYSCONFDIR})

set(NOBILL_APP_ID org.nobill.Console)
set(_pkg ${CMAKE_CURRENT_LIST_DIR})

# Desktop integration: reverse-DNS id everywhere (QGuiApplication::setDesktopFileName uses
# the same id, so the window is matched with its launcher and icon).
install(FILES ${_pkg}/${NOBILL_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
configure_file(${_pkg}/${NOBILL_APP_ID}.metainfo.xml.in
               ${CMAKE_BINARY_DIR}/packaging/${NOBILL_APP_ID}.metainfo.xml @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/${NOBILL_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${_pkg}/icons/${NOBILL_APP_ID}.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
foreach(size 16 22 24 32 48 64 128 256)
  install(FILES ${_pkg}/icons/hicolor/${size}x${size}/apps/${NOBILL_APP_ID}.png
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
endforeach()

# The office service. Debian 12 keeps units in /lib/systemd/system; ask systemd's pkg-config
# file where this system wants them.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_get_variable(NOBILL_SYSTEMD_UNITDIR systemd systemdsystemunitdir)
endif()
if(NOT NOBILL_SYSTEMD_UNITDIR)
  set(NOBILL_SYSTEMD_UNITDIR /lib/systemd/system)
endif()
install(FILES ${_pkg}/systemd/nobill-serve.service DESTINATION ${NOBILL_SYSTEMD_UNITDIR})

# Configuration: the office profile template and the service's settings. Credentials are
# never shipped: the directory is created root-only for the administrator to fill.
install(FILES ${_pkg}/office.conf DESTINATION ${_etc}/xdg/NOBill)
install(FILES ${_pkg}/serve.env DESTINATION ${_etc}/nobill)
install(DIRECTORY DESTINATION ${_etc}/nobill/credentials
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# Documentation.
set(_doc ${CMAKE_INSTALL_DATADIR}/doc/nobill-console)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${_pkg}/copyright DESTINATION ${_doc})
install(FILES ${_pkg}/office.conf ${_pkg}/serve.env DESTINATION ${_doc}/examples)

# Packages.
set(CPACK_PACKAGE_NAME nobill-console)
set(CPACK_PACKAGE_VENDOR NOBill)
set(CPACK_PACKAGE_CONTACT "NOBill <packages@nobill.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Admin console for the NOBill billing platform")
set(CPACK_PACKAGE_DESCRIPTION
    "NOBill Console manages tenants, members, plans, subscriptions, invoices and usage of the
NOBill multi-tenant billing platform. It includes nobillctl (office setup, migrations,
imports and exports) and the nobill-serve systemd service that receives Stripe's webhooks
and runs the job worker.")
set(CPACK_PACKAGE_HOMEPAGE_URL https://nobill.example/)
set(CPACK_PACKAGE_INSTALL_DIRECTORY nobill-console)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)

set(CPACK_GENERATOR DEB)
find_program(NOBILL_RPMBUILD rpmbuild)
if(NOBILL_RPMBUILD)
  list(APPEND CPACK_GENERATOR RPM)
endif()

# Debian: library dependencies are computed by dpkg-shlibdeps. The PostgreSQL driver is a
# plugin Qt loads at run time, so no linker sees it: it is named here.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-psql")
# A Secret Service keeps operators' remembered passwords; without one the console asks each
# time. The demo mode starts its own PostgreSQL server.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring | kwalletmanager")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
# dpkg keeps an administrator's edits of these on upgrade.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles
     "${_etc}/xdg/NOBill/office.conf\n${_etc}/nobill/serve.env\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_pkg}/debian/postinst ${_pkg}/debian/postrm
                                       ${CMAKE_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# RPM: library requirements are computed by rpmbuild; the driver plugin is named as above
# (Fedora's package name).
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE Proprietary)
set(CPACK_RPM_PACKAGE_GROUP Applications/Productivity)
set(CPACK_RPM_PACKAGE_REQUIRES "qt6-qtbase-postgresql")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc/xdg /lib /lib/systemd /lib/systemd/system /usr/share/metainfo
    /usr/share/icons/hicolor /usr/share/icons/hicolor/scalable
    /usr/share/icons/hicolor/scalable/apps)
set(CPACK_RPM_USER_FILELIST "%config(noreplace) ${_etc}/xdg/NOBill/office.conf"
                            "%config(noreplace) ${_etc}/nobill/serve.env"
                            "%dir %attr(0700, root, root) ${_etc}/nobill/credentials")

include(CPack)

if(NOBILL_BUILD_TESTS)
  add_test(NAME packaging_metadata
           COMMAND ${_pkg}/check-metadata.sh ${_pkg}/${NOBILL_APP_ID}.desktop
                   ${CMAKE_BINARY_DIR}/packaging/${NOBILL_APP_ID}.metainfo.xml
                   ${_pkg}/systemd/nobill-serve.service $<TARGET_FILE:nobillctl>)
endif()
