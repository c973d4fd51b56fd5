#pragma once

#include "core/result.h"

#include <QString>
#include <QUrl>

class QCommandLineParser;

namespace nobill::ctl {
// `nobillctl serve ...` and `nobillctl stripe set-key`: the office service and its Stripe
// key. Returns the process exit code (0 success, 1 failure, 2 bad usage).
int serveCommand(int argc, char **argv);
// True when argv names one of the commands above.
bool isServeCommand(int argc, char **argv);

// Shared by the commands that call Stripe (serve, stripe reconcile):
// the Stripe key from the systemd credential stripe-secret-key, else the secret store;
Result<QString> loadStripeKey();
// a systemd credential (LoadCredential) by name, or empty;
QString credential(const QString &name);
// --stripe-base-url checked (https, or plain http on loopback for tests), or Stripe's.
Result<QUrl> stripeBaseUrl(const QCommandLineParser &parser);
} // namespace nobill::ctl
