/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_lib_fake_cryptodev.h - a stand-in cryptodev node for unit tests
 * (test_lib_fake_cryptodev.c; link with -Wl,--wrap=ioctl).
 */
#ifndef VCD_TEST_LIB_FAKE_CRYPTODEV_H
#define VCD_TEST_LIB_FAKE_CRYPTODEV_H

/* Make the node; returns its path or NULL.  Remove it at exit. */
const char *fake_cryptodev_create(void);
void fake_cryptodev_remove(void);

/* Sessions currently open on the fake node (leak checks). */
int fake_cryptodev_sessions(void);

#endif /* VCD_TEST_LIB_FAKE_CRYPTODEV_H */
