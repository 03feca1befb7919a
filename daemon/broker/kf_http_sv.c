/* kf_http_sv: the supervisor's programs (state, pid, uptime, restarts, last exit, log tail) from its control socket.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_sv_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_sv = { "sv", kf_http_sv_routes, NULL,
                                                 NULL, NULL };
