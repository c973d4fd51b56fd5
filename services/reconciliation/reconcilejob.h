#pragma once

#include "jobs/jobhandler.h"

#include <memory>

namespace nobill {

// Executes jobkinds::ReconcileStripe on the office server, which holds the Stripe key: the
// console asks for a comparison (or a repair of what a comparison showed) and reads the
// drift report from the job's result (DriftReport::toJson()).
std::shared_ptr<JobHandler> reconcileJobHandler();

} // namespace nobill
