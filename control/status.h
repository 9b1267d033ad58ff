/* The daemon's status for the admin socket (sluicectl status). Main thread. */
#ifndef SLUICE_CONTROL_STATUS_H
#define SLUICE_CONTROL_STATUS_H

#include <stdio.h>

#include "control/daemon.h"

void status_render(const struct daemon *d, FILE *out, int json);

#endif
