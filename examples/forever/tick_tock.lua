-- The Hub example of the original levee's documentation, verbatim: runs forever (make demo stops it after
-- a few seconds). It prints tick, tock, tick, tock, ... half a second apart.
local h = require("levee").Hub()

h:spawn(function()
  while true do
    print("tick")
    h:sleep(1000)
  end
end)

h:sleep(500)

while true do
  print("tock")
  h:sleep(1000)
end
