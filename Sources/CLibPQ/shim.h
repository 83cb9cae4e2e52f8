#ifndef SOZIALRAUM_CLIBPQ_SHIM_H
#define SOZIALRAUM_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
