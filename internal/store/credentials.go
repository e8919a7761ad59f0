package store

import (
	"context"

	"github.com/dvmm/dvmm/internal/app"
)

// PutCredential stores a password or token hash, replacing an older one.
func (tx *Tx) PutCredential(ctx context.Context, c app.Credential) error {
	_, err := tx.exec(ctx, `INSERT INTO credentials (kind, id, user_name, hash, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET user_name = excluded.user_name, hash = excluded.hash, updated_at = excluded.updated_at`,
		string(c.Kind), c.ID, c.User, c.Hash, formatTime(tx.now))
	return err
}

// Credential reads a password or token hash.
func (db *DB) Credential(ctx context.Context, kind app.CredentialKind, id string) (app.Credential, error) {
	c := app.Credential{Kind: kind, ID: id}
	err := db.queryRow(ctx, `SELECT user_name, hash FROM credentials WHERE kind = ? AND id = ?`, string(kind), id).Scan(&c.User, &c.Hash)
	if isNoRows(err) {
		return app.Credential{}, app.Errorf(app.KindNotFound, "no %s credential %s", kind, clip(id, 63))
	}
	return c, err
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.queryRow(ctx, `SELECT 1`).Scan(&one)
}
