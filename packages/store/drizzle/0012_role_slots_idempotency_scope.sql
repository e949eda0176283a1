ALTER TABLE "tasks" DROP CONSTRAINT "tasks_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "role_versions" ADD COLUMN "slots" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "idempotency_scope" text;--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_idempotency_idx" ON "tasks" USING btree ("idempotency_scope","idempotency_key");