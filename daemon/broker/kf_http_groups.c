/* kf_http_groups: consumer groups: state, members, assignment, committed offsets, lag, offset reset with preview.
 * (Module of kf_http: see kf_http_int.h.) */
#include "kf_http_int.h"

static const struct kf_http_route kf_http_groups_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_groups = { "groups", kf_http_groups_routes, NULL,
                                                 NULL, NULL };
