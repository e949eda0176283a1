ALTER TABLE "slots" ADD COLUMN "max_concurrency" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "retry" text DEFAULT 'never' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "max_attempts" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "prompt_delivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "max_sessions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "slots" jsonb;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "state" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "lost_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "sessions_owner_worker_idx" ON "sessions" USING btree ("owner_worker");--> statement-breakpoint
CREATE INDEX "tasks_worker_status_idx" ON "tasks" USING btree ("worker_id","status");