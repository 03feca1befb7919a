/* kf_http_coord: the coordination tree (children, Stat, data), read-only.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_coord_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_coord = { "coord", kf_http_coord_routes, NULL,
                                                 NULL, NULL };
