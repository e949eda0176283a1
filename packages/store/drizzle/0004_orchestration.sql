CREATE TABLE "session_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"from_session_id" text,
	"to_session_id" text NOT NULL,
	"text" text NOT NULL,
	"status" text NOT NULL,
	"reply" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "session_id" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "tools" jsonb;--> statement-breakpoint
ALTER TABLE "role_versions" ADD COLUMN "mission_tools" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "parent_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "temporary" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "workspace_branch" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "workspace_path" text;--> statement-breakpoint
ALTER TABLE "slots" ADD COLUMN "workspace" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "slots" ADD COLUMN "keep_workspace" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "parent_id" text;--> statement-breakpoint
CREATE INDEX "session_messages_to_status_idx" ON "session_messages" USING btree ("to_session_id","status","created_at");--> statement-breakpoint
CREATE INDEX "sessions_parent_idx" ON "sessions" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "tasks_parent_idx" ON "tasks" USING btree ("parent_id");