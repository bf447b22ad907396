-- AlterTable
ALTER TABLE `sms_settings` ADD COLUMN `language` VARCHAR(35) NULL;

-- AlterTable
ALTER TABLE `sms_messages` ADD COLUMN `language` VARCHAR(35) NULL,
    ADD COLUMN `encoding` ENUM('gsm7', 'ucs2') NULL,
    ADD COLUMN `segments` INTEGER NULL;
