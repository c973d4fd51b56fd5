<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- English needs a translation file only for its plural forms ("1 tenant", "2 tenants").
     Other languages get complete files of their own. -->
<TS version="2.1" language="en">
<context>
    <name>nobill::TenantService</name>
    <message numerus="yes">
        <source>%n subscription(s)</source>
        <translation>
            <numerusform>%n subscription</numerusform>
            <numerusform>%n subscriptions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n invoice(s)</source>
        <translation>
            <numerusform>%n invoice</numerusform>
            <numerusform>%n invoices</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n usage record(s)</source>
        <translation>
            <numerusform>%n usage record</numerusform>
            <numerusform>%n usage records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n billing job(s)</source>
        <translation>
            <numerusform>%n billing job</numerusform>
            <numerusform>%n billing jobs</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::TenantsPage</name>
    <message numerus="yes">
        <source>%n tenant(s)</source>
        <translation>
            <numerusform>%n tenant</numerusform>
            <numerusform>%n tenants</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::MembersPage</name>
    <message numerus="yes">
        <source>%n member(s)</source>
        <translation>
            <numerusform>%n member</numerusform>
            <numerusform>%n members</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::RoleService</name>
    <message numerus="yes">
        <source>%1 cannot be deleted: %n member(s) still hold this role. Give them another role first.</source>
        <translation>
            <numerusform>%1 cannot be deleted: %n member still holds this role. Give them another role first.</numerusform>
            <numerusform>%1 cannot be deleted: %n members still hold this role. Give them another role first.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::UsagePage</name>
    <message numerus="yes">
        <source>%Ln record(s)</source>
        <translation>
            <numerusform>%Ln record</numerusform>
            <numerusform>%Ln records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n usage record(s)</source>
        <translation>
            <numerusform>%n usage record</numerusform>
            <numerusform>%n usage records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n meter event(s)</source>
        <translation>
            <numerusform>%n meter event</numerusform>
            <numerusform>%n meter events</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::UsageImporter</name>
    <message numerus="yes">
        <source>Imported %Ln record(s)</source>
        <translation>
            <numerusform>Imported %Ln record</numerusform>
            <numerusform>Imported %Ln records</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln duplicate(s) skipped</source>
        <translation>
            <numerusform>%Ln duplicate skipped</numerusform>
            <numerusform>%Ln duplicates skipped</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n field(s) where a usage record has 6: organization, subscription, metric, quantity, occurred_at, idempotency_key.</source>
        <translation>
            <numerusform>%n field where a usage record has 6: organization, subscription, metric, quantity, occurred_at, idempotency_key.</numerusform>
            <numerusform>%n fields where a usage record has 6: organization, subscription, metric, quantity, occurred_at, idempotency_key.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::OverviewPage</name>
    <message numerus="yes">
        <source>%n subscription(s)</source>
        <translation>
            <numerusform>%n subscription</numerusform>
            <numerusform>%n subscriptions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Metered plans excluded (%n subscription(s)).</source>
        <translation>
            <numerusform>Metered plans excluded (%n subscription).</numerusform>
            <numerusform>Metered plans excluded (%n subscriptions).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n invoice(s) unpaid in all: %1</source>
        <translation>
            <numerusform>%n invoice unpaid in all: %1</numerusform>
            <numerusform>%n invoices unpaid in all: %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::AuditLogPage</name>
    <message numerus="yes">
        <source>%n entry(ies)</source>
        <translation>
            <numerusform>%n entry</numerusform>
            <numerusform>%n entries</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::WebhookEventsPage</name>
    <message numerus="yes">
        <source>%n event(s)</source>
        <translation>
            <numerusform>%n event</numerusform>
            <numerusform>%n events</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::JobsPage</name>
    <message numerus="yes">
        <source>%n job(s)</source>
        <translation>
            <numerusform>%n job</numerusform>
            <numerusform>%n jobs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Repaired %n difference(s) with Stripe in NOBill.</source>
        <translation>
            <numerusform>Repaired %n difference with Stripe in NOBill.</numerusform>
            <numerusform>Repaired %n differences with Stripe in NOBill.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::SubscriptionsPage</name>
    <message numerus="yes">
        <source>%n subscription(s)</source>
        <translation>
            <numerusform>%n subscription</numerusform>
            <numerusform>%n subscriptions</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::SubscriptionDetailPanel</name>
    <message numerus="yes">
        <source>%n invoice(s)</source>
        <translation>
            <numerusform>%n invoice</numerusform>
            <numerusform>%n invoices</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::InvoicesPage</name>
    <message numerus="yes">
        <source>%n invoice(s)</source>
        <translation>
            <numerusform>%n invoice</numerusform>
            <numerusform>%n invoices</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::PlanService</name>
    <message numerus="yes">
        <source>%n subscription(s)</source>
        <translation>
            <numerusform>%n subscription</numerusform>
            <numerusform>%n subscriptions</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::PlanFormat</name>
    <message numerus="yes">
        <source>Every %n day(s)</source>
        <translation>
            <numerusform>Every %n day</numerusform>
            <numerusform>Every %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Every %n week(s)</source>
        <translation>
            <numerusform>Every %n week</numerusform>
            <numerusform>Every %n weeks</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Every %n month(s)</source>
        <translation>
            <numerusform>Every %n month</numerusform>
            <numerusform>Every %n months</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Every %n year(s)</source>
        <translation>
            <numerusform>Every %n year</numerusform>
            <numerusform>Every %n years</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n day</numerusform>
            <numerusform>%n days</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::PlansPage</name>
    <message numerus="yes">
        <source>%n plan(s)</source>
        <translation>
            <numerusform>%n plan</numerusform>
            <numerusform>%n plans</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::StripeClient</name>
    <message numerus="yes">
        <source>Stripe did not answer within %n second(s)</source>
        <translation>
            <numerusform>Stripe did not answer within %n second</numerusform>
            <numerusform>Stripe did not answer within %n seconds</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>JSON that was cut off after %n byte(s)</source>
        <translation>
            <numerusform>JSON that was cut off after %n byte</numerusform>
            <numerusform>JSON that was cut off after %n bytes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The list from Stripe is longer than %n page(s); stopped there</source>
        <translation>
            <numerusform>The list from Stripe is longer than %n page; stopped there</numerusform>
            <numerusform>The list from Stripe is longer than %n pages; stopped there</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::StripeEvents</name>
    <message numerus="yes">
        <source>Stripe could not accept %n meter event(s) of meter %1: %2</source>
        <translation>
            <numerusform>Stripe could not accept %n meter event of meter %1: %2</numerusform>
            <numerusform>Stripe could not accept %n meter events of meter %1: %2</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n usage record(s) marked as failed; correct and import them again.</source>
        <translation>
            <numerusform>%n usage record marked as failed; correct and import it again.</numerusform>
            <numerusform>%n usage records marked as failed; correct and import them again.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::ReconcileDialog</name>
    <message numerus="yes">
        <source>Repaired %n difference(s) in NOBill.</source>
        <translation>
            <numerusform>Repaired %n difference in NOBill.</numerusform>
            <numerusform>Repaired %n differences in NOBill.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s) with Stripe</source>
        <translation>
            <numerusform>%n difference with Stripe</numerusform>
            <numerusform>%n differences with Stripe</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n can be repaired from Stripe&apos;s state.</source>
        <translation>
            <numerusform>%n can be repaired from Stripe&apos;s state.</numerusform>
            <numerusform>%n can be repaired from Stripe&apos;s state.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Repair %n in NOBill from Stripe…</source>
        <translation>
            <numerusform>&amp;Repair %n in NOBill from Stripe…</numerusform>
            <numerusform>&amp;Repair %n in NOBill from Stripe…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Make NOBill&apos;s side equal to Stripe&apos;s for %n difference(s)?</source>
        <translation>
            <numerusform>Make NOBill&apos;s side equal to Stripe&apos;s for %n difference?</numerusform>
            <numerusform>Make NOBill&apos;s side equal to Stripe&apos;s for %n differences?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>nobill::OfficeWorkerControl</name>
    <message numerus="yes">
        <source>Running: this console does the office&apos;s Stripe work while it is open (%n job(s) done so far).</source>
        <translation>
            <numerusform>Running: this console does the office&apos;s Stripe work while it is open (%n job done so far).</numerusform>
            <numerusform>Running: this console does the office&apos;s Stripe work while it is open (%n jobs done so far).</numerusform>
        </translation>
    </message>
</context>
</TS>
