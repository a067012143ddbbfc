/* pb_dash_assets: the dashboard's files (web/ and the vendored uPlot), compiled into perfbus-sub.
 */
#ifndef PB_DASH_ASSETS_H
#define PB_DASH_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path; /* "/app.js" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} pb_dash_asset_t;

/* Generated at build time by subscriber/assets.cmake; a NULL path ends the table. */
extern const pb_dash_asset_t pb_dash_assets[];

#endif
