# Warnings (thông tin cảnh báo) arrive with their own issue.
