/* Building and starting sluiced's data path (main thread, at start). Each
 * returns 0, or -errno after logging why. */
#ifndef SLUICE_CONTROL_PIPELINE_H
#define SLUICE_CONTROL_PIPELINE_H

#include "control/daemon.h"

/* Opens the events and DLQ logs of the data folder (recovering them). */
int pipeline_open_logs(struct daemon *d);
/* Creates the queue, the pool, the source, the workers and the log service. */
int pipeline_open(struct daemon *d);
/* Starts the log service and the workers on their lcores. */
int pipeline_launch(struct daemon *d);

#endif
