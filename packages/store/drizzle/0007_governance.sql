CREATE TABLE "action_receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_kind" text NOT NULL,
	"owner_id" text NOT NULL,
	"slot" text NOT NULL,
	"role" text NOT NULL,
	"action_class" text NOT NULL,
	"summary" text NOT NULL,
	"evidence" jsonb,
	"mode" text NOT NULL,
	"approval_id" text,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"target" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"seq" integer NOT NULL,
	"notification" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notification_subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"format" text NOT NULL,
	"events" jsonb NOT NULL,
	"slots" jsonb,
	"roles" jsonb,
	"secret" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_subscriptions_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "role_versions" ADD COLUMN "action_classes" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "role_versions" ADD COLUMN "activated_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
ALTER TABLE "role_versions" ADD COLUMN "activated_by" text;--> statement-breakpoint
CREATE INDEX "action_receipts_owner_idx" ON "action_receipts" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "action_receipts_created_idx" ON "action_receipts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audit_entries_at_idx" ON "audit_entries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "notification_deliveries_sub_created_idx" ON "notification_deliveries" USING btree ("subscription_id","created_at");--> statement-breakpoint
CREATE INDEX "notification_deliveries_subject_idx" ON "notification_deliveries" USING btree ("subscription_id","subject","seq");--> statement-breakpoint
UPDATE "role_versions" SET "activated_at" = "changed_at";