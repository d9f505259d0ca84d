package io.keyhold.server.internal.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * The SQL database: a connection pool plus the schema migrations. H2 (embedded, a file under the
 * data dir) by default; PostgreSQL when a {@code jdbc:postgresql:} URL is configured. The SQL in
 * this package is the common subset of both.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final boolean postgres;

    private Database(HikariDataSource pool, boolean postgres) {
        this.pool = pool;
        this.postgres = postgres;
    }

    /**
     * Opens the pool and brings the schema up to date: the SQL migrations in {@code db/migration},
     * and {@code javaMigrations}, versioned among them, for steps that need the server's own code.
     */
    public static Database open(String url, String user, String password, Path dataDir, int poolSize,
                                JavaMigration... javaMigrations) {
        String jdbcUrl = url != null && !url.isBlank() ? url : embeddedUrl(dataDir);
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        if (user != null) {
            cfg.setUsername(user);
        }
        if (password != null) {
            cfg.setPassword(password);
        }
        cfg.setMaximumPoolSize(poolSize);
        cfg.setPoolName("keyhold-db");
        // Every write is an explicit transaction (Tx); reads run in auto-commit mode.
        cfg.setAutoCommit(true);
        HikariDataSource ds = new HikariDataSource(cfg);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").javaMigrations(javaMigrations).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds, jdbcUrl.startsWith("jdbc:postgresql:"));
    }

    /** The embedded default; AUTO_SERVER is off on purpose: one server process owns the file. */
    public static String embeddedUrl(Path dataDir) {
        Path file = dataDir.toAbsolutePath().resolve("db").resolve("keyhold");
        // Writers queue on the organization row lock; give them time rather than failing under a burst.
        return "jdbc:h2:file:" + file + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=15000";
    }

    public DataSource dataSource() {
        return pool;
    }

    public boolean isPostgres() {
        return postgres;
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    @Override
    public void close() {
        pool.close();
    }
}
