/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * version.h - the project's version as every program's --version prints it.
 *
 * Owns: the --version line ("PROGRAM (virtio-cryptodev) VERSION").  The
 * version itself lives in the file VERSION at the top of the tree; the
 * Makefile passes it as VCD_VERSION to the objects that include this header.
 * tests/suite-80-packaging.sh checks that the Debian changelog, dkms.conf and
 * the man pages name the same version.  Does not own option parsing.
 */
#ifndef VCD_VERSION_H
#define VCD_VERSION_H

#include <stdio.h>

#ifndef VCD_VERSION
#error "VCD_VERSION comes from the file VERSION through the Makefile"
#endif

static inline void vcd_print_version(const char *program)
{
	printf("%s (virtio-cryptodev) %s\n", program, VCD_VERSION);
}

#endif
