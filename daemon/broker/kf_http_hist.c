/* kf_http_hist: in-memory history (throughput, lag) for the UI charts.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_hist_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_hist = { "hist", kf_http_hist_routes, NULL,
                                                 NULL, NULL };
