CREATE TABLE "budget_exhaustions" (
	"root_id" text NOT NULL,
	"budget_usd" double precision NOT NULL,
	"cost_usd" double precision NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "usage" jsonb;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "cost_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "slots" ADD COLUMN "tree_budget_usd" double precision;--> statement-breakpoint
CREATE UNIQUE INDEX "budget_exhaustions_root_budget_idx" ON "budget_exhaustions" USING btree ("root_id","budget_usd");--> statement-breakpoint
CREATE INDEX "sessions_slot_cost_at_idx" ON "sessions" USING btree ("slot","cost_at");