-- AlterTable
ALTER TABLE `sms_messages` ADD COLUMN `provider` VARCHAR(16) NULL;
