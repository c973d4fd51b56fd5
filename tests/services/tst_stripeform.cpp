// Stripe's form encoding: what the client sends and what the fake Stripe decodes.
#include "stripe/stripeclient.h"

#include <QTest>

using namespace nobill;

class TestStripeForm : public QObject
{
    Q_OBJECT

private slots:
    void encodesFlatParameters();
    void encodesNestedMapsAndLists();
    void encodesBooleansNumbersAndNull();
    void encodesReservedAndUnicodeCharacters();
    void equalParametersGiveIdenticalBytes();
    void decodesWhatItEncodes_data();
    void decodesWhatItEncodes();
    void decodesPlusAsSpaceAndAppendedLists();
    void decodesOddInputWithoutCrashing();
};

void TestStripeForm::encodesFlatParameters()
{
    const QVariantMap params{{QStringLiteral("email"), QStringLiteral("a@b.c")},
                             {QStringLiteral("name"), QStringLiteral("Acme")}};
    // Keys in sorted order; '@' is reserved and therefore encoded.
    QCOMPARE(encodeStripeForm(params), QByteArrayLiteral("email=a%40b.c&name=Acme"));
    QCOMPARE(encodeStripeForm({}), QByteArray());
}

void TestStripeForm::encodesNestedMapsAndLists()
{
    const QVariantMap params{
        {QStringLiteral("customer"), QStringLiteral("cus_1")},
        {QStringLiteral("items"),
         QVariantList{QVariantMap{{QStringLiteral("price"), QStringLiteral("price_1")},
                                  {QStringLiteral("quantity"), 3}},
                      QVariantMap{{QStringLiteral("price"), QStringLiteral("price_2")}}}},
        {QStringLiteral("metadata"), QVariantMap{{QStringLiteral("org_id"), QStringLiteral("o1")}}},
        {QStringLiteral("expand"), QStringList{QStringLiteral("latest_invoice")}},
    };
    QCOMPARE(encodeStripeForm(params),
             QByteArrayLiteral("customer=cus_1&expand[0]=latest_invoice&items[0][price]=price_1&"
                               "items[0][quantity]=3&items[1][price]=price_2&metadata[org_id]=o1"));
}

void TestStripeForm::encodesBooleansNumbersAndNull()
{
    const QVariantMap params{
        {QStringLiteral("a"), true},
        {QStringLiteral("b"), false},
        {QStringLiteral("c"), qint64(1234567890123)},
        {QStringLiteral("d"), -5},
        {QStringLiteral("e"), 2.5},
        {QStringLiteral("f"), 3.0},
        {QStringLiteral("g"), QVariant()},
    };
    QCOMPARE(encodeStripeForm(params),
             QByteArrayLiteral("a=true&b=false&c=1234567890123&d=-5&e=2.5&f=3&g="));
}

void TestStripeForm::encodesReservedAndUnicodeCharacters()
{
    const QVariantMap params{
        {QStringLiteral("description"), QStringLiteral("a+b & c=d [x] 100%")},
        {QStringLiteral("name"), QStringLiteral("Zürich 東京")},
        {QStringLiteral("metadata"),
         QVariantMap{{QStringLiteral("key with space&"), QStringLiteral("v")}}},
    };
    QCOMPARE(encodeStripeForm(params),
             QByteArrayLiteral("description=a%2Bb%20%26%20c%3Dd%20%5Bx%5D%20100%25&"
                               "metadata[key%20with%20space%26]=v&"
                               "name=Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC"));
}

void TestStripeForm::equalParametersGiveIdenticalBytes()
{
    // Built in different orders (and once through a hash): the body must not differ, or a
    // retried request would look like a different one to Stripe's idempotency check.
    QVariantMap first;
    first.insert(QStringLiteral("z"), 1);
    first.insert(QStringLiteral("a"),
                 QVariantMap{{QStringLiteral("y"), 2}, {QStringLiteral("b"), 3}});
    QVariantMap second;
    QVariantHash nested;
    nested.insert(QStringLiteral("b"), 3);
    nested.insert(QStringLiteral("y"), 2);
    second.insert(QStringLiteral("a"), nested);
    second.insert(QStringLiteral("z"), 1);
    QCOMPARE(encodeStripeForm(first), encodeStripeForm(second));
    QCOMPARE(encodeStripeForm(first), QByteArrayLiteral("a[b]=3&a[y]=2&z=1"));
}

void TestStripeForm::decodesWhatItEncodes_data()
{
    QTest::addColumn<QVariantMap>("params");
    QTest::newRow("flat") << QVariantMap{{QStringLiteral("email"), QStringLiteral("a@b.c")}};
    QTest::newRow("nested") << QVariantMap{
        {QStringLiteral("items"),
         QVariantList{QVariantMap{{QStringLiteral("price"), QStringLiteral("price_1")},
                                  {QStringLiteral("quantity"), QStringLiteral("2")}}}},
        {QStringLiteral("metadata"),
         QVariantMap{{QStringLiteral("a b"), QStringLiteral("c&d=e+f")}}}};
    QTest::newRow("unicode") << QVariantMap{
        {QStringLiteral("name"), QStringLiteral("Zürich 東京 ✓")}};
    QVariantList many;
    for (int i = 0; i < 12; ++i)
        many.append(QString::number(i));
    // Index 10 sorts before 2 as text: the decoder must order by number.
    QTest::newRow("twelve items") << QVariantMap{{QStringLiteral("expand"), many}};
    QTest::newRow("empty value") << QVariantMap{{QStringLiteral("description"), QString()}};
}

void TestStripeForm::decodesWhatItEncodes()
{
    QFETCH(QVariantMap, params);
    const QVariantMap decoded = decodeStripeForm(encodeStripeForm(params));
    QCOMPARE(decoded, params);
    QCOMPARE(encodeStripeForm(decoded), encodeStripeForm(params));
}

void TestStripeForm::decodesPlusAsSpaceAndAppendedLists()
{
    const QVariantMap decoded =
        decodeStripeForm(QByteArrayLiteral("q=a+b&types[]=invoice.paid&types[]=customer.created"
                                           "&created[gte]=17"));
    QCOMPARE(decoded.value(QStringLiteral("q")).toString(), QStringLiteral("a b"));
    QCOMPARE(decoded.value(QStringLiteral("types")).toList(),
             (QVariantList{QStringLiteral("invoice.paid"), QStringLiteral("customer.created")}));
    QCOMPARE(decoded.value(QStringLiteral("created")).toMap().value(QStringLiteral("gte")),
             QVariant(QStringLiteral("17")));
}

void TestStripeForm::decodesOddInputWithoutCrashing()
{
    // A fake server must survive whatever a test (or a fuzzer) sends it.
    const QList<QByteArray> inputs{
        QByteArrayLiteral("&&&"),        QByteArrayLiteral("=x"),
        QByteArrayLiteral("a[=1"),       QByteArrayLiteral("a]=1"),
        QByteArrayLiteral("a[b]c=1"),    QByteArrayLiteral("a[0]=1&a[x]=2"),
        QByteArrayLiteral("a=1&a[b]=2"), QByteArrayLiteral("%ZZ=%"),
        QByteArrayLiteral("a[-1]=x"),    QByteArrayLiteral("a[99999999999999999999]=x"),
    };
    for (const QByteArray &input : inputs) {
        const QVariantMap decoded = decodeStripeForm(input);
        Q_UNUSED(decoded);
    }
    QCOMPARE(decodeStripeForm(QByteArrayLiteral("a[b]c=1")).value(QStringLiteral("a[b]c")),
             QVariant(QStringLiteral("1")));
    QCOMPARE(decodeStripeForm(QByteArrayLiteral("a[0]=1&a[x]=2"))
                 .value(QStringLiteral("a"))
                 .toMap()
                 .value(QStringLiteral("x")),
             QVariant(QStringLiteral("2")));
}

QTEST_GUILESS_MAIN(TestStripeForm)
#include "tst_stripeform.moc"
