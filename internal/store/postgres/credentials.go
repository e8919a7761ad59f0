package postgres

import (
	"context"

	"github.com/dvmm/dvmm/internal/app"
)

// PutCredential stores a password or token hash, replacing an older one.
func (tx *Tx) PutCredential(ctx context.Context, c app.Credential) error {
	_, err := tx.exec(ctx, `INSERT INTO credentials (kind, id, user_name, hash, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET user_name = excluded.user_name, hash = excluded.hash, updated_at = excluded.updated_at`,
		string(c.Kind), c.ID, c.User, c.Hash, formatTime(c.At))
	return err
}

// PutCredential stores a credential in a transaction of its own.
func (db *DB) PutCredential(ctx context.Context, c app.Credential) error {
	return db.update(ctx, func(tx *Tx) error { return tx.PutCredential(ctx, c) })
}

func credentialOf(ctx context.Context, q queryer, kind app.CredentialKind, id string) (app.Credential, error) {
	c := app.Credential{Kind: kind, ID: id}
	var at string
	err := q.queryRow(ctx, `SELECT user_name, hash, updated_at FROM credentials WHERE kind = ? AND id = ?`, string(kind), id).Scan(&c.User, &c.Hash, &at)
	if isNoRows(err) {
		return app.Credential{}, app.Errorf(app.KindNotFound, "no %s credential %s", kind, app.Clip(id, 63))
	}
	if err != nil {
		return app.Credential{}, err
	}
	c.At, err = parseTime(at)
	return c, err
}

// Credential reads a password or token hash.
func (db *DB) Credential(ctx context.Context, kind app.CredentialKind, id string) (app.Credential, error) {
	return credentialOf(ctx, db, kind, id)
}

// Credential reads a password or token hash as this transaction sees it.
func (tx *Tx) Credential(ctx context.Context, kind app.CredentialKind, id string) (app.Credential, error) {
	return credentialOf(ctx, tx, kind, id)
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.queryRow(ctx, `SELECT 1`).Scan(&one)
}
