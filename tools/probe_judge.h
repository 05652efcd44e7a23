/*
 * probe_judge.h - turns one run of a dialog into findings, each filed
 * under a root cause (prule) with one of the four verdicts.
 */
#ifndef SMTPP_TOOLS_PROBE_JUDGE_H
#define SMTPP_TOOLS_PROBE_JUDGE_H

#include "probe_run.h"

void probe_judge(const dialog *c, const pserver *s, int mode, const prun *R,
                 presult *res);

#endif
