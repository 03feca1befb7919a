/* kf_http_stream: live tail and search over Server-Sent Events.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_stream_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_stream = { "stream", kf_http_stream_routes, NULL,
                                                 NULL, NULL };
