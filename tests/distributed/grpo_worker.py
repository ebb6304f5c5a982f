"""The GRPO entry point with the test rewards registered, for runs launched by the distributed tests.

python -m paddle.distributed.launch --nproc_per_node 2 python -m tests.distributed.grpo_worker --flag value ...
"""

from paddlemix.rl.grpo.train import main
from tests.rl.grpo_testing import register_test_rewards

if __name__ == "__main__":
    register_test_rewards()
    main()
