/* kf_http_write: writes: produce a message, create/delete topics, edit topic configs.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_write_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_write = { "write", kf_http_write_routes, NULL,
                                                 NULL, NULL };
