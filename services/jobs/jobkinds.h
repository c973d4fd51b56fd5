#pragma once

// The kinds of Stripe work the job worker executes: for each, the kind name queued through
// nobill_enqueue_job(), the payload fields the console writes, and the result fields the
// worker records (jobs.result) when the job succeeds. The console is written against this
// header; the worker's handlers (services/jobs/billinghandlers.cpp) read the same names.
//
// Common to every kind:
//   - The job's idempotency key is the Stripe Idempotency-Key of its (first) POST; a job that
//     makes several POSTs adds a step suffix ("<key>:product", "<key>:price"), so a job that
//     is claimed again after its worker died repeats its Stripe calls with the same keys and
//     Stripe replays them instead of doing them twice.
//   - Permission to queue: by the kind's prefix (migration 4, 10): subscription.* needs
//     subscriptions.manage, invoice.* invoices.manage, customer.* tenants.manage, usage.*
//     usage.import, all in the job's organization; plan.* is platform work (no organization,
//     platform administrators only).
//   - A payload naming subscription_id / invoice_id must name one of the job's
//     organization (the database checks it).
//   - Ids are our UUIDs as text unless the field name starts with stripe_.

#include <QString>

namespace nobill::jobkinds {

// subscription.cancel_at_period_end
//   payload: subscription_id, stripe_subscription_id
//   Stripe:  POST /v1/subscriptions/{id} cancel_at_period_end=true
//   result:  status, cancel_at_period_end, current_period_end (ISO 8601, or null)
inline const QString CancelAtPeriodEnd = QStringLiteral("subscription.cancel_at_period_end");

// subscription.cancel (now)
//   payload: subscription_id, stripe_subscription_id
//   Stripe:  DELETE /v1/subscriptions/{id}
//   result:  status, canceled_at
inline const QString CancelNow = QStringLiteral("subscription.cancel");

// subscription.resume
//   payload: subscription_id, stripe_subscription_id,
//            mode: "keep_renewing" (withdraw a scheduled cancellation) | "resume_paused"
//   Stripe:  POST /v1/subscriptions/{id} cancel_at_period_end=false, or
//            POST /v1/subscriptions/{id}/resume
//   result:  status, cancel_at_period_end
inline const QString Resume = QStringLiteral("subscription.resume");

// subscription.update_quantity
//   payload: subscription_id, stripe_subscription_id, quantity (1..1000000),
//            previous_quantity, proration_behavior (optional: create_prorations (default) |
//            none | always_invoice)
//   Stripe:  GET the subscription (its item), POST items[0][id], items[0][quantity]
//   result:  status, quantity
inline const QString UpdateQuantity = QStringLiteral("subscription.update_quantity");

// subscription.pause_collection
//   payload: subscription_id, stripe_subscription_id,
//            behavior: "void" (default) | "keep_as_draft" | "mark_uncollectible"
//   Stripe:  POST /v1/subscriptions/{id} pause_collection[behavior]
//   result:  status, pause_collection_behavior
inline const QString PauseCollection = QStringLiteral("subscription.pause_collection");

// subscription.resume_collection
//   payload: subscription_id, stripe_subscription_id
//   Stripe:  POST /v1/subscriptions/{id} pause_collection= (unset)
//   result:  status
inline const QString ResumeCollection = QStringLiteral("subscription.resume_collection");

// subscription.create: the console first inserts the subscriptions row (status incomplete,
// no Stripe id), then queues this. The tenant must already be a Stripe customer
// (customer.sync) and the plan a Stripe price (plan.sync).
//   payload: subscription_id,
//            collection: "automatic" (charge_automatically) | "send_invoice" | "checkout",
//            days_until_due (send_invoice: 0..365), trial_days (optional, 0..730),
//            success_url (checkout: https URL the customer returns to)
//   Stripe:  POST /v1/subscriptions, or POST /v1/checkout/sessions (mode=subscription)
//   result:  stripe_subscription_id, status (automatic / send_invoice);
//            checkout_url, checkout_session_id (checkout: the link to copy and send; the
//            subscription arrives later through the webhook)
inline const QString CreateSubscription = QStringLiteral("subscription.create");

// customer.sync: the tenant becomes (or stays) a Stripe customer with its name, billing
// e-mail, address and tax id (as metadata tax_id; Stripe's tax-id objects need a type the
// tenant record does not hold yet).
//   payload: {} (the job's organization is the tenant)
//   Stripe:  POST /v1/customers (first time; key "<key>:create") or /v1/customers/{id}
//   result:  stripe_customer_id, created (bool)
inline const QString SyncCustomer = QStringLiteral("customer.sync");

// plan.sync: a plan becomes a Stripe product (once per product) and price; a metered plan
// gets a billing meter (one per metric, shared by plans of that metric); a plan that
// replaces an older version archives the old price (active=false).
//   payload: plan_id
//   Stripe:  POST /v1/products (":product"), /v1/billing/meters (":meter"),
//            /v1/prices (":price"), /v1/prices/{old} active=false (":archive")
//   result:  stripe_product_id, stripe_price_id, stripe_meter_id (or null),
//            archived_price_id (or null)
inline const QString SyncPlan = QStringLiteral("plan.sync");

// invoice.send / invoice.void / invoice.mark_uncollectible
//   payload: invoice_id, stripe_invoice_id
//   Stripe:  POST /v1/invoices/{id}/send | /void | /mark_uncollectible
//   result:  status
inline const QString SendInvoice = QStringLiteral("invoice.send");
inline const QString VoidInvoice = QStringLiteral("invoice.void");
inline const QString MarkInvoiceUncollectible = QStringLiteral("invoice.mark_uncollectible");

// usage.report: unreported usage of the organization (optionally one subscription) is
// summed per subscription and metric into meter events. Each group of records is first
// given an identifier derived from its record ids (stored in
// usage_records.stripe_meter_event_id), so a repeated attempt sends the same events with
// the same identifiers and Stripe counts them once; the records are marked reported.
//   payload: subscription_id (optional)
//   Stripe:  POST /v1/billing/meter_events (identifier, event_name = metric,
//            payload[stripe_customer_id], payload[value])
//   result:  events (count), records (count)
inline const QString ReportUsage = QStringLiteral("usage.report");

// subscription.preview_change: what a plan or quantity change would cost, for the console
// to show before the operator confirms (it waits for the job through the change feed).
//   payload: subscription_id, stripe_subscription_id, plan_id (optional: the new plan),
//            quantity (optional), proration_behavior (optional)
//   Stripe:  GET the subscription, POST /v1/invoices/create_preview
//   result:  currency, amount_due, subtotal, total (minor units), proration_date (unix
//            seconds: pass it to subscription.change_plan so the charge matches), lines
//            [{description, amount}]
inline const QString PreviewChange = QStringLiteral("subscription.preview_change");

// subscription.change_plan
//   payload: subscription_id, stripe_subscription_id, plan_id, quantity (optional),
//            proration_behavior (create_prorations | none | always_invoice),
//            proration_date (optional, from the preview)
//   Stripe:  GET the subscription (its item), POST items[0][id], items[0][price], ...
//   result:  status, plan_id, quantity
inline const QString ChangePlan = QStringLiteral("subscription.change_plan");

// stripe.reconcile: compares our customers, prices, subscriptions and invoices with Stripe's
// (services/reconciliation/reconciler.h) and, with repair, makes ours equal to Stripe for the
// differences the console names. Platform work (no organization, platform administrators
// only), queued through nobill_enqueue_stripe_reconcile() (migration 17), never
// nobill_enqueue_job(). Never writes to Stripe.
//   payload: repair (bool), drift (repair: the ids of the report's items to repair)
//   Stripe:  GET /v1/customers, /v1/prices, /v1/subscriptions?status=all, /v1/invoices
//   result:  DriftReport::toJson() ({checked, drift: [...], repaired}), repair (bool),
//            repaired_ids, no_longer_drifting (repair only)
inline const QString ReconcileStripe = QStringLiteral("stripe.reconcile");

} // namespace nobill::jobkinds
