/*
 * version.h - the one place the version lives.
 */
#ifndef MG_VERSION_H
#define MG_VERSION_H

#define MG_NAME		"modelgate"
#define MG_VERSION	"0.1.0"
#define MG_URL		"https://github.com/modelgate/modelgate"

#endif
