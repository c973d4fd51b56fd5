#pragma once

// Integration test support: one throwaway PostgreSQL cluster per test executable, and a
// fresh database per test case, cloned from a migrated template (fast: a file copy).

#include "database/connectionsettings.h"
#include "database/embeddedcluster.h"

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace nobill::test {

class TestCluster
{
public:
    // Started on first use (initdb, start, migrate the template); stopped at exit.
    // Fails the calling test with a clear message if the cluster cannot start.
    static TestCluster &instance();

    EmbeddedCluster &cluster() { return *m_cluster; }
    ConnectionSettings ownerSettings(const QString &database) const;

    // A new database: migrated (from the template) or empty (for migration tests).
    Result<QString> createDatabase(bool migrated = true);
    Status dropDatabase(const QString &name);

    // The directory the cluster lives in: its name starts with nobill-test- so that
    // scripts/test can clean up after a crashed test.
    QString rootDirectory() const { return m_dir.path(); }

    ~TestCluster();

private:
    TestCluster();
    Status prepare();

    QTemporaryDir m_dir;
    std::unique_ptr<EmbeddedCluster> m_cluster;
    Status m_prepared;
    int m_nextDatabase = 0;
};

// A fresh database for one test case, with an open connection for the test thread.
// Dropped at destruction.
class TestDatabase
{
public:
    explicit TestDatabase(bool migrated = true);
    ~TestDatabase();

    TestDatabase(const TestDatabase &) = delete;
    TestDatabase &operator=(const TestDatabase &) = delete;

    bool isValid() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    QString name() const { return m_name; }
    QString connectionName() const { return m_connectionName; }
    ConnectionSettings settings() const;

private:
    QString m_name;
    QString m_connectionName;
    QString m_error;
};

} // namespace nobill::test

// Use at the top of a test function: skips nothing, fails loudly if no database could be made.
#define NOBILL_REQUIRE_DB(db) QVERIFY2((db).isValid(), qPrintable((db).error()))
