-- CreateTable
CREATE TABLE `accounts` (
    `id` CHAR(32) NOT NULL,
    `login` VARCHAR(64) NOT NULL,
    `name` VARCHAR(200) NOT NULL,
    `email` VARCHAR(320) NULL,
    `password_hash` VARCHAR(255) NOT NULL,
    `admin` BOOLEAN NOT NULL DEFAULT false,
    `create_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `accounts_login_key`(`login`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `sessions` (
    `id_hash` CHAR(64) NOT NULL,
    `user_id` CHAR(32) NOT NULL,
    `open_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expire_time` DATETIME(3) NOT NULL,

    INDEX `sessions_user_id_idx`(`user_id`),
    INDEX `sessions_expire_time_idx`(`expire_time`),
    PRIMARY KEY (`id_hash`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `sms_settings` (
    `user_id` CHAR(32) NOT NULL,
    `phone` VARCHAR(16) NULL,
    `verified` BOOLEAN NOT NULL DEFAULT false,
    `verified_phone` VARCHAR(16) NULL,
    `code_hash` CHAR(64) NULL,
    `code_expire_time` DATETIME(3) NULL,
    `code_attempts` INTEGER NOT NULL DEFAULT 0,
    `update_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `sms_settings_verified_phone_key`(`verified_phone`),
    INDEX `sms_settings_phone_verified_idx`(`phone`, `verified`),
    PRIMARY KEY (`user_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `sms_messages` (
    `id` CHAR(32) NOT NULL,
    `user_id` CHAR(32) NULL,
    `recipient` VARCHAR(16) NOT NULL,
    `body` VARCHAR(1600) NOT NULL,
    `status` ENUM('queued', 'sending', 'sent', 'failed') NOT NULL DEFAULT 'queued',
    `attempts` INTEGER NOT NULL DEFAULT 0,
    `provider_message_id` VARCHAR(64) NULL,
    `last_error` VARCHAR(1000) NULL,
    `lease_expire_time` DATETIME(3) NULL,
    `due_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `create_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `update_time` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `sent_time` DATETIME(3) NULL,

    INDEX `sms_messages_status_due_time_idx`(`status`, `due_time`),
    INDEX `sms_messages_recipient_create_time_idx`(`recipient`, `create_time`),
    INDEX `sms_messages_user_id_create_time_idx`(`user_id`, `create_time`),
    INDEX `sms_messages_provider_message_id_idx`(`provider_message_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `sessions` ADD CONSTRAINT `sessions_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `accounts`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `sms_settings` ADD CONSTRAINT `sms_settings_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `accounts`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `sms_messages` ADD CONSTRAINT `sms_messages_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `accounts`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;
