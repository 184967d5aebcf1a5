import Foundation

/// Every word the console shows, in Chinese (first) and English. A phrase without both
/// does not compile.
public enum Phrase: CaseIterable, Sendable {
    case console, signIn, signOut, name, password, signInFailed, overview, sites, audit, language, otherLanguage
    case online, seenToday, quiet, notEnrolled, revoked, eventsToday, eventsThisMonth, quarantined, syncLag, backlog, boxes, never
    case site, region, kind, add, save, addSite, editSite, addBox, boxID, box, state, lastSeen, lastBatch, ackedThrough, software
    case clockOffset, formerSites, revoke, reason, revokeBox, deviceLog, level, scanner, time, message, filter, olderLines, noLines
    case enrollmentToken, enrollmentCard, tokenOnce, noCardURL, when, who, origin, action, subject, detail, downloadCSV, notFound
    case refused, kindBookshelf, kindHut, kindStation, none, all, signedInAs, roleUnion, roleRegion, roleSite, siteCount, noSites
    case lagWorstFirst, minutes, hours, days, sessionEnded, reports, from, to, show, noRows, item, anySite, anyRegion, dataTable, rows, enrolled, before
    case quarantine, release, discard, note, body, catalog, search, homeSite, whereNow, onLoanUntil, onShelf, privacy, retention, retentionDays
    case setRetention, erase, eraseWorker, workerField, referenceField, eraseConfirm, eraseNothing, erasureLog, erased, eventsNaming, booksOnLoan
    case notKept, received, noQuarantine, noResults, keepForever, records, books, visitsWord, siteName, bookTitle
    case importTitles, importMembers, csvFile, catalogCSVHelp, membersCSVHelp, memberCards, nothingImported, line, problem, importing
    case imported, linesRead, newOrChanged, moreProblems, backToCatalog, importFailed, askAboutATitle, alsoBorrowedLink
    case loanDays, maxLoans, overLimit, overLimitWarn, overLimitRefuse, sessionTimeout, visitMaxMinutes, holdDays, maxRequests
    case inTransit, onHoldShelf, requested
    case requests, placeRequest, copyKey, orTitle, pickupSite, workerNumber, numberKind, detectKind, memberCardNumber, residentNumber, placeIt
    case requestID, placedAt, heldUntil, cancelRequest, placedBy, noRequests, anyState, requestsHelp, sentFrom, copyNow
    case statePlaced, stateReady, stateCollected, stateExpired, stateCancelled, itemKey, stateSince, acceptImplied, impliedHelp, sleepingMonths
    case stateArrived, acceptMoves, movesHelp, purposeMove, purposeRotation, rotations, rotationName, route, stageDays, cyclic, copyKeys
    case orEveryCopy, startRotation, endRotation, stageNow, nextStage, copiesThere, moving, noRotations, rotationsHelp, ended

    public func text(_ language: String) -> String {
        let (zh, en) = pair
        return language == "en" ? en : zh
    }

    var pair: (String, String) {
        switch self {
        case .console: ("工会服务站控制台", "Union station console")
        case .signIn: ("登录", "Sign in")
        case .signOut: ("退出", "Sign out")
        case .name: ("账号", "Name")
        case .password: ("密码", "Password")
        case .signInFailed: ("登录失败", "Sign-in failed")
        case .overview: ("总览", "Overview")
        case .sites: ("站点与设备", "Sites and boxes")
        case .audit: ("操作日志", "Audit log")
        case .language: ("语言", "Language")
        case .otherLanguage: ("English", "中文")
        case .online: ("在线", "Online")
        case .seenToday: ("今日联系过", "Seen today")
        case .quiet: ("失联", "Quiet")
        case .notEnrolled: ("未注册", "Never enrolled")
        case .revoked: ("已吊销", "Revoked")
        case .eventsToday: ("今日记录", "Events today")
        case .eventsThisMonth: ("本月记录", "Events this month")
        case .quarantined: ("待处理记录", "Events in quarantine")
        case .syncLag: ("同步延迟", "Sync lag")
        case .backlog: ("待上传", "Backlog")
        case .boxes: ("设备", "Boxes")
        case .never: ("从未", "never")
        case .site: ("站点", "Site")
        case .region: ("区域", "Region")
        case .kind: ("类型", "Kind")
        case .add: ("添加", "Add")
        case .save: ("保存", "Save")
        case .addSite: ("新增站点", "Add a site")
        case .editSite: ("修改站点", "Edit the site")
        case .addBox: ("新增或更换设备", "Add or replace a box")
        case .boxID: ("设备编号", "Box id")
        case .box: ("设备", "Box")
        case .state: ("状态", "State")
        case .lastSeen: ("最后联系", "Last contact")
        case .lastBatch: ("最后同步", "Last batch")
        case .ackedThrough: ("已收到至序号", "Held through seq")
        case .software: ("软件版本", "Software")
        case .clockOffset: ("时钟校正", "Clock correction")
        case .formerSites: ("曾在站点", "Former sites")
        case .revoke: ("吊销", "Revoke")
        case .reason: ("原因", "Reason")
        case .revokeBox: ("吊销此设备", "Revoke this box")
        case .deviceLog: ("设备日志", "Device log")
        case .level: ("级别", "Level")
        case .scanner: ("扫描器", "Scanner")
        case .time: ("时间", "Time")
        case .message: ("内容", "Message")
        case .filter: ("筛选", "Filter")
        case .olderLines: ("更早的记录", "Older lines")
        case .noLines: ("没有记录", "No lines")
        case .enrollmentToken: ("注册令牌", "Enrollment token")
        case .enrollmentCard: ("注册卡", "Enrollment card")
        case .tokenOnce: ("令牌只显示这一次：请立即打印注册卡或抄下令牌。", "The token is shown this once: print the card or copy the token now.")
        case .noCardURL: ("未设置集中服务器地址（--public-url），无法生成注册卡。", "No hub address is set (--public-url), so no card can be drawn.")
        case .when: ("时间", "When")
        case .who: ("操作人", "Who")
        case .origin: ("来源", "From")
        case .action: ("操作", "Action")
        case .subject: ("对象", "Subject")
        case .detail: ("详情", "Detail")
        case .downloadCSV: ("下载 CSV", "Download CSV")
        case .notFound: ("未找到", "Not found")
        case .refused: ("操作未完成", "Not done")
        case .kindBookshelf: ("职工书屋", "Bookshelf")
        case .kindHut: ("爱心妈妈小屋", "Love mother hut")
        case .kindStation: ("户外劳动者驿站", "Outdoor workers' station")
        case .none: ("无", "none")
        case .all: ("全部", "all")
        case .signedInAs: ("当前用户", "Signed in as")
        case .roleUnion: ("总工会", "Union")
        case .roleRegion: ("区域", "Region")
        case .roleSite: ("站点管理员", "Site manager")
        case .siteCount: ("站点数", "Sites")
        case .noSites: ("暂无站点", "No sites yet")
        case .lagWorstFirst: ("各站点同步延迟（最久在前）", "Sync lag per site (worst first)")
        case .minutes: ("分钟", "min")
        case .hours: ("小时", "h")
        case .days: ("天", "d")
        case .sessionEnded: ("会话已结束，请重新登录。", "Your session ended: sign in again.")
        case .reports: ("统计报表", "Reports")
        case .from: ("起始月份", "From (month)")
        case .to: ("截止月份（含）", "To (month, included)")
        case .show: ("查看", "Show")
        case .noRows: ("该时段没有数据", "Nothing in this period")
        case .item: ("图书（书名或条码）", "Title or item")
        case .anySite: ("全部站点", "All sites")
        case .anyRegion: ("全部区域", "All regions")
        case .dataTable: ("数据表", "Table")
        case .rows: ("行", "rows")
        case .enrolled: ("已注册", "Enrolled")
        case .before: ("此日期之前", "Before")
        case .quarantine: ("待处理记录", "Quarantine")
        case .release: ("放行入账", "Release into the ledger")
        case .discard: ("删除", "Discard")
        case .note: ("说明（记入操作日志）", "Note (for the audit log)")
        case .body: ("原始记录", "As it came")
        case .catalog: ("图书目录", "Catalog")
        case .search: ("搜索", "Search")
        case .homeSite: ("所属站点", "Home site")
        case .whereNow: ("现在位置", "Where it is now")
        case .onLoanUntil: ("借出，应还", "On loan, due")
        case .onShelf: ("在架", "On the shelf")
        case .privacy: ("隐私", "Privacy")
        case .retention: ("保存期限", "Retention")
        case .retentionDays: ("天数", "Days")
        case .setRetention: ("设置保存期限", "Set a retention period")
        case .erase: ("删除个人关联", "Erase")
        case .eraseWorker: ("删除某位职工的个人关联", "Erase one worker's link to their records")
        case .workerField: ("会员卡号、身份证号或化名", "Card number, identity number or pseudonym")
        case .referenceField: ("申请编号", "Request reference")
        case .eraseConfirm: ("确认删除", "Erase now")
        case .eraseNothing: ("没有任何记录指向这位职工，未做任何更改。", "No records name this worker: nothing was changed.")
        case .erasureLog: ("删除记录", "Erasure log")
        case .erased: ("已删除个人关联", "Erased")
        case .eventsNaming: ("条记录指向此人", "events name this worker")
        case .booksOnLoan: ("本书尚未归还", "books on loan now")
        case .notKept: ("号码不会被保存或显示。", "The number is neither kept nor shown.")
        case .received: ("收到时间", "Received")
        case .noQuarantine: ("没有待处理的记录", "Nothing is set aside")
        case .noResults: ("没有找到", "Nothing found")
        case .keepForever: ("未设置：一直保存到删除为止", "not set: kept until erased")
        case .records: ("记录", "Events")
        case .books: ("图书", "Books")
        case .visitsWord: ("到访", "Visits")
        case .siteName: ("名称", "Name")
        case .bookTitle: ("书名", "Title")
        case .importTitles: ("导入书目", "Import titles")
        case .importMembers: ("导入会员卡", "Import member cards")
        case .csvFile: ("CSV 文件（UTF-8）", "CSV file (UTF-8)")
        case .catalogCSVHelp:
            (
                "每行：item_key,title,home_site（如 isbn:9787020002207、label:LIB-000123）。任何一行有错，整个文件都不导入。",
                "One title a line: item_key,title,home_site (isbn:9787020002207, label:LIB-000123). One bad line imports nothing."
            )
        case .membersCSVHelp:
            ("每行：card_uid,member_card。会员卡号当即化为假名，不保存也不显示。", "One card a line: card_uid,member_card. The member card number becomes a pseudonym at once and is neither kept nor shown.")
        case .memberCards: ("会员卡", "Member cards")
        case .nothingImported: ("未导入任何内容：请改正以下各行后重新上传", "Nothing was imported: correct these lines and upload the file again")
        case .line: ("行", "Line")
        case .problem: ("问题", "Problem")
        case .importing: ("正在导入", "Importing")
        case .imported: ("导入完成", "Imported")
        case .linesRead: ("读取", "Lines read")
        case .newOrChanged: ("新增或变更", "New or changed")
        case .moreProblems: ("处问题未列出", "more problems not listed")
        case .backToCatalog: ("返回书目", "Back to the catalog")
        case .askAboutATitle:
            (
                "输入一本书的书名、ISBN 或标签（或在图书目录中点书名）：列出借过它的读者还借了哪些书。",
                "Type a book's title, ISBN or label (or click a title in the catalog): what its readers also borrowed."
            )
        case .alsoBorrowedLink: ("借过这本书的读者还借了", "What this book's readers also borrowed")
        case .loanDays: ("借期（天）", "Loan days")
        case .maxLoans: ("每人最多借书", "Most loans each")
        case .holdDays: ("预约保留（天）", "Hold days")
        case .inTransit: ("转寄途中", "In transit")
        case .onHoldShelf: ("预约架", "On the hold shelf")
        case .requested: ("已被预约", "Requested")
        case .maxRequests: ("每人最多预约", "Most requests each")
        case .overLimit: ("超出时", "Over the limit")
        case .overLimitWarn: ("提醒", "warn")
        case .overLimitRefuse: ("拒绝", "refuse")
        case .sessionTimeout: ("会话超时（秒）", "Session timeout (s)")
        case .visitMaxMinutes: ("到访最长（分钟）", "Longest visit (min)")
        case .importFailed: ("导入未完成，未写入任何内容", "The import did not finish: nothing was written")
        case .requests: ("预约", "Requests")
        case .placeRequest: ("为职工预约", "Place a request for a worker")
        case .copyKey: ("某一本（条码）", "One copy (item key)")
        case .orTitle: ("或任一本（书名）", "or any copy (title)")
        case .pickupSite: ("取书站点", "Pickup site")
        case .workerNumber: ("职工会员卡号或身份证号", "The worker's member card or identity number")
        case .numberKind: ("号码类型", "Number kind")
        case .detectKind: ("自动识别", "Tell from the number")
        case .memberCardNumber: ("会员卡号", "Member card number")
        case .residentNumber: ("身份证号", "Identity number")
        case .placeIt: ("预约", "Request")
        case .requestID: ("预约号", "Request")
        case .placedAt: ("预约时间", "Placed")
        case .heldUntil: ("保留至", "Held until")
        case .cancelRequest: ("取消预约", "Cancel the request")
        case .placedBy: ("来源", "Placed by")
        case .noRequests: ("没有预约", "No requests")
        case .anyState: ("全部状态", "Any state")
        case .requestsHelp:
            (
                "预约把别的站点书架上的一本书寄到取书站点：持书站点的设备扫到这本书时会提示转寄；书到后放在预约架上，只借给预约的职工。",
                "A request sends a copy from another shelf to the pickup site: the holding site's box says to send it on when the copy is scanned; on arrival it waits on the hold shelf for its worker alone."
            )
        case .sentFrom: ("寄出站点", "Sent from")
        case .copyNow: ("书现在", "The copy now")
        case .statePlaced: ("待寄出", "Placed, to be sent")
        case .stateReady: ("已到，待取", "Ready for pickup")
        case .stateCollected: ("已取走", "Collected")
        case .stateExpired: ("逾期未取", "Expired")
        case .stateCancelled: ("已取消", "Cancelled")
        case .itemKey: ("条码", "Item")
        case .stateSince: ("此状态始于", "In this state since")
        case .acceptImplied: ("确认这些书已归还", "Accept these returns")
        case .sleepingMonths: ("多久未借算沉睡（月）", "Sleeping after (months)")
        case .stateArrived: ("已到达", "Arrived")
        case .acceptMoves: ("接受勾选的调书建议", "Accept the ticked moves")
        case .movesHelp:
            (
                "接受后，持书站点的设备扫到这本书时会提示转寄；书到目的站点后上架即可。借出中的书归还时再转寄。",
                "Once accepted, the holding site's box says to send the copy on when it is scanned; at the destination it simply goes on the shelf. A copy on loan is sent when it comes back."
            )
        case .purposeMove: ("调书", "Move")
        case .purposeRotation: ("轮换", "Rotation")
        case .rotations: ("图书轮换", "Rotations")
        case .rotationName: ("轮换名称", "Rotation")
        case .route: ("路线（站点，按顺序）", "Route (sites, in order)")
        case .stageDays: ("每站天数", "Days at each site")
        case .cyclic: ("循环", "Round and round")
        case .copyKeys: ("图书条码（空格分隔）", "Copies (item keys, space-separated)")
        case .orEveryCopy: ("或某书名的全部图书", "or every copy of a title")
        case .startRotation: ("开始轮换", "Start a rotation")
        case .endRotation: ("结束轮换", "End the rotation")
        case .stageNow: ("当前阶段", "Stage now")
        case .nextStage: ("下一阶段开始", "Next stage from")
        case .copiesThere: ("已在该站", "There now")
        case .moving: ("待寄或在途", "To send or on the way")
        case .noRotations: ("没有轮换", "No rotations")
        case .ended: ("已结束", "Ended")
        case .rotationsHelp:
            (
                "一组图书按路线在各站点间轮流放置，每站停留设定天数。每到新阶段，持书站点的设备扫到书时会提示转寄；借出中的书归还后再转寄，有人预约的书先满足预约。",
                "A collection moves through a route of sites, a stage of so many days at each. At each new stage the holding site's box says to send each copy on when it is scanned; a copy on loan goes when it comes back, and one a worker requested serves the request first."
            )
        case .impliedHelp:
            (
                "盘点时在书架上扫到、但记录为借出的书：确认后记为在扫到时归还（留有操作记录，原始记录不改）。",
                "Seen on the shelf in the stocktake but on loan in the ledger: accepting records each as returned when it was seen (audited; no event is edited)."
            )
        }
    }
}
