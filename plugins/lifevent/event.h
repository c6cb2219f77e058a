/*
 * plugins/lifevent/event.h — the event-based LIF model lifevent.so runs:
 * the shared header-only helper spikelab/slaux_event.h (bss2.so's event
 * mode integrates with the same code).
 */
#ifndef LIFEVENT_EVENT_H
#define LIFEVENT_EVENT_H

#include "spikelab/slaux_event.h"

#endif
