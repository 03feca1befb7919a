/* ui_assets: the web UI's static files, embedded at build time (see
 * ui/CMakeLists.txt).  Paths start with '/', e.g. "/index.html".  The
 * table ends with an entry whose path is NULL. */
#ifndef ODRADEK_UI_ASSETS_H
#define ODRADEK_UI_ASSETS_H

#include <stddef.h>

struct ui_asset {
    const char          *path;
    const char          *content_type;
    const unsigned char *data;
    size_t               len;
};

extern const struct ui_asset ui_assets[];

#endif
