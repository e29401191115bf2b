-- CreateTable
CREATE TABLE "DeviceReading" (
    "consortiumId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "observedAt" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "gapFrom" INTEGER,
    "receivedAt" TEXT NOT NULL,
    "windowRecordHash" TEXT,

    PRIMARY KEY ("consortiumId", "deviceId", "seq")
);

-- CreateIndex
CREATE INDEX "DeviceReading_windowRecordHash_idx" ON "DeviceReading"("windowRecordHash");

-- CreateIndex
CREATE INDEX "DeviceReading_consortiumId_windowRecordHash_deviceId_seq_idx" ON "DeviceReading"("consortiumId", "windowRecordHash", "deviceId", "seq");
