-- AlterTable
ALTER TABLE `sms_messages` ADD COLUMN `delivery_status` ENUM('delivered', 'delivery_failed', 'expired') NULL,
    ADD COLUMN `delivery_time` DATETIME(3) NULL,
    ADD COLUMN `delivery_error` VARCHAR(200) NULL,
    ADD COLUMN `status_datetime` DATETIME(3) NULL;

-- CreateIndex
CREATE INDEX `sms_messages_delivery_status_create_time_idx` ON `sms_messages`(`delivery_status`, `create_time`);
