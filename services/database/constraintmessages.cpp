#include "database/sqlerror.h"

#include <QCoreApplication>

namespace nobill {

namespace {

struct ConstraintText
{
    const char *name;
    const char *text;
};

// One sentence per named constraint of resources/sql/migrations (and the triggers that
// raise constraint-like errors), written for the operator who hit it. Foreign keys are
// mostly hit from the referenced side (deleting something still in use), so their
// sentences are written for that case.
constexpr ConstraintText Texts[] = {
    // organizations
    {"organizations_name_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Enter a tenant name of at most 200 characters.")},
    {"organizations_slug_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The slug must be 2 to 63 lowercase letters or digits, in words joined by "
                       "single hyphens (for example \"acme-labs\").")},
    {"organizations_slug_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another tenant already uses this slug. Choose a different one.")},
    {"organizations_billing_email_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Enter a valid billing e-mail address, such as billing@example.com.")},
    {"organizations_currency_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Choose a currency by its three-letter ISO code, such as EUR or USD.")},
    {"organizations_status_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A tenant is either active or suspended.")},
    {"organizations_stripe_customer_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another tenant is already linked to this Stripe customer.")},
    {"organizations_stripe_customer_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe customer id starts with \"cus_\".")},
    {"organizations_tax_id_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The tax id can have at most 64 characters.")},
    {"organizations_address_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The address is too long: at most 200 characters per line, 20 for the "
                       "postal code and 100 for the city.")},
    {"organizations_country_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Choose a country by its two-letter ISO code, such as DE or US.")},
    {"organizations_version_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The tenant's version number is invalid. Reload the tenant and try "
                       "again.")},

    // users
    {"users_email_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Someone else already has this e-mail address (whatever its case).")},
    {"users_email_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Enter a valid e-mail address, such as anna@example.com.")},
    {"users_display_name_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Enter a name of at most 200 characters.")},
    {"users_login_role_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A database login name starts with a lowercase letter or an underscore "
                       "and has at most 63 lowercase letters, digits, \"_\", \".\" or \"-\".")},
    {"users_login_role_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This database login already belongs to another person.")},

    // permissions and roles
    {"permissions_key_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A permission key looks like \"area.verb\", in lowercase letters.")},
    {"permissions_scope_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A permission applies either to an organization or to the platform.")},
    {"roles_name_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This organization already has a role with this name. Choose a different "
                       "name.")},
    {"roles_key_key", QT_TRANSLATE_NOOP("nobill::Constraints",
                                        "This organization already has a role with this key.")},
    {"roles_name_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Enter a role name of at most 100 characters.")},
    {"roles_description_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The role description can have at most 1000 characters.")},
    {"roles_key_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A role key has lowercase letters, digits and underscores, starting with "
                       "a letter.")},
    {"roles_builtin_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Built-in roles are shared by every organization; a custom role must "
                       "belong to one organization.")},
    {"roles_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The role's organization no longer exists.")},
    {"role_permissions_pkey",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The role already has this permission.")},
    {"role_permissions_role_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The role no longer exists. Reload the list of roles.")},
    {"role_permissions_permission_key_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This permission is unknown to this database. Update NOBill Console, or "
                       "reload the list of permissions.")},

    // memberships
    {"memberships_pkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This person is already a member of this organization. Change their role "
                       "instead.")},
    {"memberships_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The organization no longer exists. Reload the list of tenants.")},
    {"memberships_user_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This person no longer exists. Reload the list of people.")},
    {"memberships_role_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This role is still given to members. Give them another role first.")},
    {"memberships_role_scope_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This role belongs to another organization. Choose a built-in role or "
                       "one of this organization's own roles.")},

    // products and plans
    {"products_name_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another product that is not archived already has this name.")},
    {"products_name_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Enter a product name of at most 200 characters.")},
    {"products_description_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The product description can have at most 2000 characters.")},
    {"products_stripe_product_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another product is already linked to this Stripe product.")},
    {"products_stripe_product_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe product id starts with \"prod_\".")},
    {"plans_product_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This product still has plans. Archive the product instead of deleting "
                       "it.")},
    {"plans_replaces_plan_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A newer version of this plan refers to it. Archive the plan instead of "
                       "deleting it.")},
    {"plans_replaces_plan_id_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A plan cannot replace itself.")},
    {"plans_name_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Enter a plan name of at most 200 characters.")},
    {"plans_amount_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A plan's price cannot be negative.")},
    {"plans_currency_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Choose a currency by its three-letter ISO code, such as EUR or USD.")},
    {"plans_interval_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A plan is billed every day, week, month or year.")},
    {"plans_interval_count_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The number of intervals between bills must be at least 1.")},
    {"plans_usage_type_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A plan is billed either per seat (licensed) or by usage (metered).")},
    {"plans_metric_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A metered plan needs the name of the usage it charges for (such as "
                       "api_calls, in lowercase letters, digits and underscores); a per-seat "
                       "plan has none.")},
    {"plans_trial_days_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The trial lasts between 0 and 730 days.")},
    {"plans_stripe_price_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another plan is already linked to this Stripe price.")},
    {"plans_stripe_price_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe price id starts with \"price_\".")},
    {"plans_stripe_meter_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe meter id starts with \"mtr_\".")},
    {"plans_stripe_price_delete_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This plan exists in Stripe, where prices cannot be deleted. Archive it "
                       "instead.")},
    {"plans_terms_immutable_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The price, currency, interval and usage of a plan cannot change once it "
                       "exists in Stripe. Create a new version of the plan instead.")},
    {"plans_terms_in_use_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Subscriptions use this plan, so its price, currency, interval and usage "
                       "cannot change. Change its amount to create a new version instead.")},
    {"plans_replaces_plan_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This plan already has a newer version. Change the newest version "
                       "instead.")},
    {"plans_description_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The plan description can have at most 2000 characters.")},
    {"plans_version_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The plan's version number is invalid. Reload it and try again.")},
    {"products_version_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The product's version number is invalid. Reload it and try again.")},

    // subscriptions
    {"subscriptions_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This tenant still has subscriptions. Cancel them first, or suspend the "
                       "tenant instead.")},
    {"subscriptions_plan_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Subscriptions still use this plan. Archive the plan instead of deleting "
                       "it.")},
    {"subscriptions_id_organization_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints", "This subscription already exists.")},
    {"subscriptions_status_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This is not a subscription status Stripe knows: use incomplete, "
                       "incomplete_expired, trialing, active, past_due, canceled, unpaid or "
                       "paused.")},
    {"subscriptions_quantity_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The number of seats cannot be negative.")},
    {"subscriptions_collection_method_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A subscription is either charged automatically or invoiced to the "
                       "customer.")},
    {"subscriptions_days_until_due_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Invoices sent to the customer need a payment term of 0 to 365 days; "
                       "automatically charged subscriptions have none.")},
    {"subscriptions_period_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The billing period cannot end before it starts.")},
    {"subscriptions_stripe_subscription_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another subscription is already linked to this Stripe subscription.")},
    {"subscriptions_stripe_subscription_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe subscription id starts with \"sub_\".")},
    {"subscriptions_version_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The subscription's version number is invalid. Reload it and try "
                       "again.")},

    // usage records
    {"usage_records_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This tenant has recorded usage, which must be kept for billing. Suspend "
                       "the tenant instead.")},
    {"usage_records_subscription_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This subscription has recorded usage, which must be kept for billing; "
                       "or the usage names a subscription of another tenant.")},
    {"usage_records_metric_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The usage metric must be lowercase letters, digits and underscores, "
                       "starting with a letter (such as api_calls).")},
    {"usage_records_quantity_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A usage quantity cannot be negative.")},
    {"usage_records_idempotency_key_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Every usage record needs an import key of at most 255 characters.")},
    {"usage_records_idempotency_key_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This usage was already imported for this tenant (the same import key "
                       "exists).")},
    {"usage_records_reported_state_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A usage record is unreported, reported or failed.")},
    {"usage_records_reported_at_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Usage marked as reported needs the time it was reported.")},

    // invoices
    {"invoices_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This tenant has invoices, which must be kept. Suspend the tenant "
                       "instead.")},
    {"invoices_subscription_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This subscription has invoices, which must be kept; or the invoice "
                       "names a subscription of another tenant.")},
    {"invoices_number_key",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Another invoice already has this number.")},
    {"invoices_number_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "An invoice number has at most 64 characters and is not blank.")},
    {"invoices_status_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "An invoice is draft, open, paid, void or uncollectible.")},
    {"invoices_currency_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Choose a currency by its three-letter ISO code, such as EUR or USD.")},
    {"invoices_amounts_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Invoice amounts (subtotal, tax, total, due, paid, remaining) cannot be "
                       "negative.")},
    {"invoices_period_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The invoice period cannot end before it starts.")},
    {"invoices_hosted_invoice_url_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The invoice link must be an https:// address.")},
    {"invoices_stripe_invoice_id_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Another invoice is already linked to this Stripe invoice.")},
    {"invoices_stripe_invoice_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe invoice id starts with \"in_\".")},

    // Stripe events
    {"stripe_events_pkey",
     QT_TRANSLATE_NOOP("nobill::Constraints", "This Stripe event was already received.")},
    {"stripe_events_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe event id starts with \"evt_\".")},
    {"stripe_events_type_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe event needs its type.")},
    {"stripe_events_source_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A Stripe event is either pushed to the listener or pulled from Stripe.")},
    {"stripe_events_status_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A Stripe event is received, processed, ignored, waiting or failed.")},
    {"stripe_events_attempts_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The number of processing attempts cannot be negative.")},
    {"stripe_events_waiting_for_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "What a Stripe event waits for is a Stripe id of at most 255 characters.")},
    {"stripe_object_versions_object_id_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A Stripe object id of 1 to 255 characters is needed to order its events.")},
    {"stripe_object_versions_event_id_format",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A Stripe event id starts with \"evt_\".")},
    {"stripe_event_cursor_single_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The Stripe Events poller keeps exactly one position.")},

    {"stripe_events_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Stripe events were received for this tenant and must be kept. Suspend "
                       "the tenant instead.")},

    // jobs
    {"jobs_organization_id_fkey",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "Background work (for example in Stripe) was recorded for this tenant, "
                       "so it cannot be deleted. Suspend the tenant instead.")},
    {"jobs_kind_format",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A job kind is lowercase letters, digits, dots and underscores.")},
    {"jobs_idempotency_key_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A job needs an idempotency key of at most 255 characters.")},
    {"jobs_idempotency_key_key",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This operation was already requested; it is not queued a second time.")},
    {"jobs_status_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A job is queued, running, succeeded, failed or cancelled.")},
    {"jobs_attempts_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A job's attempt count cannot be negative.")},
    {"jobs_max_attempts_check",
     QT_TRANSLATE_NOOP("nobill::Constraints", "A job must be allowed at least one attempt.")},

    // audit trail
    {"audit_log_source_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The audit trail only records changes from the console, the command "
                       "line, webhooks, the worker or a migration.")},
    {"audit_log_action_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The audit trail only records inserts, updates, deletes and imports.")},
    {"audit_chain_singleton_check",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "The audit trail has exactly one chain head; it cannot be added to.")},

    // Rows never move to another organization (raised by the *_keep_organization triggers)
    {"organizations_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A tenant's identity cannot change. Create a new tenant instead.")},
    {"memberships_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A membership cannot move to another organization. Add the person to "
                       "the other organization instead.")},
    {"roles_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A role belongs to its organization for good. Create the role in the "
                       "other organization instead.")},
    {"subscriptions_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "A subscription cannot move to another tenant. Cancel it and start a new "
                       "one for the other tenant.")},
    {"usage_records_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Recorded usage cannot move to another tenant.")},
    {"invoices_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints", "An invoice cannot move to another tenant.")},
    {"stripe_events_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints",
                       "This Stripe event is already assigned to a tenant; that cannot change.")},
    {"jobs_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints", "Background work cannot move to another tenant.")},
    {"audit_log_organization_id_immutable",
     QT_TRANSLATE_NOOP("nobill::Constraints", "The audit trail cannot be changed.")},
};

} // namespace

QString constraintMessage(const QString &constraintName)
{
    if (constraintName.isEmpty())
        return {};
    for (const ConstraintText &entry : Texts) {
        if (constraintName == QLatin1String(entry.name))
            return QCoreApplication::translate("nobill::Constraints", entry.text);
    }
    return {};
}

} // namespace nobill
