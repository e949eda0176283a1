ALTER TABLE "sessions" ADD COLUMN "driver" text DEFAULT 'hooks' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "blocking" jsonb;